/** Error pages shaped like the ones Jenkins (on Jetty 12) sends. */

const JETTY_VERSION = '12.0.16';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** What `HttpServletResponse.sendError(status, message)` renders. */
export function jettyErrorPage(status: number, message: string, uri: string): string {
  const m = esc(message);
  return `<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<title>Error ${status} ${m}</title>
</head>
<body>
<h2>HTTP ERROR ${status} ${m}</h2>
<table>
<tr><th>URI:</th><td>${esc(uri)}</td></tr>
<tr><th>STATUS:</th><td>${status}</td></tr>
<tr><th>MESSAGE:</th><td>${m}</td></tr>
<tr><th>SERVLET:</th><td>Stapler</td></tr>
</table>
<hr/><a href="https://jetty.org/">Powered by Jetty:// ${JETTY_VERSION}</a><hr/>

</body>
</html>
`;
}

/** HudsonAuthenticationEntryPoint: anonymous users are sent to the login page. */
export function authenticationRequiredPage(path: string): string {
  const from = encodeURIComponent(path);
  return `<html><head><meta http-equiv='refresh' content='1;url=/login?from=${from}'/><script id='redirect' data-redirect-url='/login?from=${from}' src='/static/7b3fa1c2/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>


Authentication required
<!--
-->

</body></html>
`;
}

export const JETTY_SERVER = `Jetty(${JETTY_VERSION})`;
