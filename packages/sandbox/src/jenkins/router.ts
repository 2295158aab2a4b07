import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import type { Build, Cause, Folder, Item, Job, ParamDefinition, ParamValue, StopMode, User } from '../world/model';
import { MAX_LINES_READ } from '../world/logs';
import { DEFAULT_QUIET_PERIOD_MS, World } from '../world/world';
import { CRUMB_FIELD, Security } from './auth';
import { ItemConfigError } from './itemXml';
import { createItem, deleteItem, readConfigXml, updateConfigXml } from './itemRoutes';
import { Value, pruner, stringify, toJson } from './exported';
import { authenticationRequiredPage, jettyErrorPage } from './pages';
import { Shapes, lastWhere } from './shapes';
import { TreeSyntaxError, parseTree } from './tree';
import { StageView } from './stageView';
import { inputOf } from '../world/stages';

/** A request as the Jenkins routes see it. */
export interface JenkinsRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path without the query, as sent. */
  path: string;
  /** Query and form parameters, query first, as a servlet merges them. */
  params: URLSearchParams;
  /** The controller URL the client used, with a trailing slash. */
  root: string;
  /** Raw text of a POST body (config.xml submissions). */
  body?: string;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const STOP_MODES: StopMode[] = ['stop', 'term', 'kill'];

const PERMALINKS: Record<string, (b: Build) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: b => b.result !== null,
  lastSuccessfulBuild: b => b.result === 'SUCCESS' || b.result === 'UNSTABLE',
  lastStableBuild: b => b.result === 'SUCCESS',
  lastFailedBuild: b => b.result === 'FAILURE',
  lastUnstableBuild: b => b.result === 'UNSTABLE',
  lastUnsuccessfulBuild: b => b.result !== null && b.result !== 'SUCCESS',
};

/** The Jenkins REST surface over the simulated world. */
export class JenkinsRouter {
  constructor(private readonly world: World, private readonly security: Security) {}

  async handle(r: JenkinsRequest): Promise<void> {
    try {
      await this.route(r);
    } catch (error) {
      if (error instanceof HttpError) {
        this.errorPage(r, error.status, error.message);
      } else if (error instanceof ItemConfigError) {
        // Jenkins' Failure pages carry the message in X-Error too.
        if (error.status === 400 && !r.res.headersSent) r.res.setHeader('X-Error', encodeHeader(error.message));
        this.errorPage(r, error.status, error.message);
      } else {
        throw error;
      }
    }
  }

  private async route(r: JenkinsRequest): Promise<void> {
    const auth = this.security.authenticate(r.req);
    if (auth.kind === 'invalid') {
      r.res.setHeader('WWW-Authenticate', 'Basic realm="Jenkins"');
      throw new HttpError(401, auth.message);
    }
    if (r.method === 'POST' && !this.security.validCrumb(r.req, auth, crumbOf(r))) {
      throw new HttpError(403, 'No valid crumb was included in the request');
    }
    if (auth.kind === 'anonymous') {
      this.authenticationRequired(r);
      return;
    }
    const user = auth.user;
    this.world.catchUp();

    const segments = r.path
      .split('/')
      .filter(Boolean)
      .map(s => decodeURIComponent(s));
    // `/view/all/job/x` reaches the same jobs as `/job/x`.
    while (segments[0] === 'view' && segments.length >= 2) segments.splice(0, 2);
    const shapes = new Shapes(this.world, r.root);
    const [head, ...rest] = segments;

    if (head === undefined) {
      await this.html(r, 'Dashboard [Jenkins]');
      return;
    }
    if (head === 'api') {
      await this.api(r, rest, () => shapes.jenkins());
      return;
    }
    if (head === 'job') {
      await this.item(r, segments, shapes, user);
      return;
    }
    if (head === 'createItem' && rest.length === 0) {
      this.createItemIn(r, this.world.root, shapes);
      return;
    }
    if (head === 'crumbIssuer' && is(rest, 'api', 'json')) {
      await this.crumb(r, user);
      return;
    }
    if (head === 'me' && rest[0] === 'api') {
      // Jenkins.getMe: the authenticated user, the first call of many clients.
      await this.api(r, rest.slice(1), () => shapes.user(user));
      return;
    }
    if (head === 'user' && rest[1] === 'api') {
      const named = [...this.world.users.values()].find(u => u.id.toLowerCase() === rest[0].toLowerCase());
      if (!named) throw new HttpError(404, 'Not Found');
      await this.api(r, rest.slice(2), () => shapes.user(named));
      return;
    }
    if (head === 'whoAmI' && is(rest, 'api', 'json')) {
      await this.whoAmI(r, user);
      return;
    }
    if (head === 'queue') {
      await this.queue(r, rest, shapes);
      return;
    }
    if (head === 'computer') {
      await this.computer(r, rest, shapes, user);
      return;
    }
    throw new HttpError(404, 'Not Found');
  }

  // --- items --------------------------------------------------------------

  private async item(
    r: JenkinsRequest,
    segments: string[],
    shapes: Shapes,
    user: User,
  ): Promise<void> {
    let item: Item = this.world.root;
    let i = 0;
    while (segments[i] === 'job' && i + 1 < segments.length && item.kind === 'folder') {
      const fullName: string = item.fullName ? `${item.fullName}/${segments[i + 1]}` : segments[i + 1];
      const child = this.world.item(fullName);
      if (!child) throw new HttpError(404, 'Not Found');
      item = child;
      i += 2;
    }
    const rest = segments.slice(i);
    if (rest.length === 0) {
      await this.html(r, `${item.fullName} [Jenkins]`);
      return;
    }
    if (rest[0] === 'api') {
      await this.api(r, rest.slice(1), () => shapes.item(item));
      return;
    }
    if (is(rest, 'config.xml')) {
      if (r.method === 'POST') {
        updateConfigXml(this.world, item, r.body ?? '');
        r.res.writeHead(200, { 'Content-Length': 0 });
        r.res.end();
        return;
      }
      if (r.method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
      r.res.writeHead(200, { 'Content-Type': 'application/xml;charset=utf-8' });
      r.res.end(readConfigXml(item));
      return;
    }
    if (is(rest, 'doDelete') && item !== this.world.root) {
      requirePost(r);
      const parent = item.parent!;
      deleteItem(this.world, item, user);
      // AbstractItem.doDoDelete redirects to the parent.
      r.res.writeHead(302, { Location: parent.fullName ? shapes.itemUrl(parent) : r.root, 'Content-Length': 0 });
      r.res.end();
      return;
    }
    if (item.kind === 'folder' && is(rest, 'createItem')) {
      this.createItemIn(r, item, shapes);
      return;
    }
    if (item.kind === 'folder') throw new HttpError(404, 'Not Found');
    const job = item;
    if (is(rest, 'build')) {
      await this.triggerBuild(r, job, user);
      return;
    }
    if (is(rest, 'buildWithParameters')) {
      await this.triggerWithParameters(r, job, user);
      return;
    }
    if (is(rest, 'disable') || is(rest, 'enable')) {
      // ParameterizedJobMixIn.doDisable/doEnable: redirect to the job.
      requirePost(r);
      this.world.setDisabled(job, rest[0] === 'disable');
      r.res.writeHead(302, { Location: shapes.itemUrl(job), 'Content-Length': 0 });
      r.res.end();
      return;
    }

    if (job.kind === 'pipeline' && is(rest, 'wfapi', 'runs')) {
      // JobAPI.doRuns: the newest runs (Stage View shows 10), newest first.
      const newest = job.builds.slice(-10).reverse();
      this.json(r, newest.map(b => new StageView(this.world, shapes, b).run()));
      return;
    }
    const build = this.findBuild(job, rest[0]);
    if (!build) throw new HttpError(404, 'Not Found');
    await this.build(r, build, rest.slice(1), shapes, user);
  }

  /** `createItem` in the root or a folder: 200 for a config.xml, 302 to the new item's configure page otherwise. */
  private createItemIn(r: JenkinsRequest, parent: Folder, shapes: Shapes): void {
    requirePost(r);
    const { item, redirect } = createItem(this.world, parent, {
      contentType: r.req.headers['content-type'],
      params: r.params,
      body: r.body ?? '',
    });
    if (redirect) {
      r.res.writeHead(302, { Location: `${shapes.itemUrl(item)}configure`, 'Content-Length': 0 });
    } else {
      r.res.writeHead(200, { 'Content-Length': 0 });
    }
    r.res.end();
  }

  private findBuild(job: Job, segment: string): Build | undefined {
    if (/^\d+$/.test(segment)) return this.world.build(job, Number(segment));
    const permalink = PERMALINKS[segment];
    return permalink ? lastWhere(job, permalink) : undefined;
  }

  private async build(r: JenkinsRequest, build: Build, rest: string[], shapes: Shapes, user: User) {
    if (rest.length === 0) {
      await this.html(r, `${build.job.fullName} #${build.number} [Jenkins]`);
      return;
    }
    if (rest[0] === 'api') {
      await this.api(r, rest.slice(1), () => shapes.build(build));
      return;
    }
    if (is(rest, 'consoleText')) {
      await this.consoleText(r, build);
      return;
    }
    if (is(rest, 'logText', 'progressiveText')) {
      await this.progressiveText(r, build);
      return;
    }
    if (build.job.kind === 'pipeline' && (rest[0] === 'wfapi' || rest[0] === 'execution' || rest[0] === 'input')) {
      await this.pipelineRun(r, build, rest, shapes, user);
      return;
    }
    const mode = rest.length === 1 ? STOP_MODES.find(m => m === rest[0]) : undefined;
    // Only pipeline runs (WorkflowRun) have doTerm and doKill.
    if (mode && (mode === 'stop' || build.job.kind === 'pipeline')) {
      requirePost(r);
      this.world.stop(build, user, mode);
      // Run.doStop, doTerm and doKill forward to the previous page.
      r.res.writeHead(302, { Location: r.req.headers.referer ?? shapes.buildUrl(build), 'Content-Length': 0 });
      r.res.end();
      return;
    }
    throw new HttpError(404, 'Not Found');
  }

  // --- pipeline runs: Stage View REST API and input steps -----------------

  /**
   * `wfapi/describe`, `wfapi/pendingInputActions`, `execution/node/<id>/wfapi/{describe,log}`
   * (pipeline-stage-view's RunExt, StageNodeExt, FlowNodeLogExt, InputActionExt) and the
   * input step's `input/<id>/{proceedEmpty,submit,abort}` and `wfapi/inputSubmit`.
   */
  private async pipelineRun(r: JenkinsRequest, build: Build, rest: string[], shapes: Shapes, user: User): Promise<void> {
    const view = new StageView(this.world, shapes, build);
    if (is(rest, 'wfapi') || is(rest, 'wfapi', 'describe')) {
      this.json(r, view.run());
      return;
    }
    if (is(rest, 'wfapi', 'pendingInputActions')) {
      this.json(r, view.pendingInputs());
      return;
    }
    if (rest[0] === 'execution' && rest[1] === 'node' && rest[3] === 'wfapi' && rest.length === 5) {
      let node;
      if (rest[4] === 'describe') node = view.node(rest[2]);
      else if (rest[4] === 'log') node = view.log(rest[2]);
      if (!node) throw new HttpError(404, 'Not Found');
      this.json(r, node);
      return;
    }
    const stageView = is(rest, 'wfapi', 'inputSubmit');
    let inputId: string | undefined;
    if (stageView) inputId = r.params.get('inputId') ?? '';
    else if (rest[0] === 'input' && rest.length === 3) inputId = rest[1];
    if (inputId === undefined) throw new HttpError(404, 'Not Found');
    requirePost(r);
    const input = inputOf(build.job);
    // InputAction.getDynamic: only an input the build waits at is reachable.
    if (!input || input.id !== inputId || !this.world.waitsForInput(build)) throw new HttpError(404, 'Not Found');
    let verb = rest[2];
    // Stage View's form posts `abort` to abort, anything else proceeds.
    if (stageView) verb = r.params.has('abort') ? 'abort' : 'proceed';
    if (verb === 'abort') {
      this.world.answerInput(build, user, 'abort');
    } else if (verb === 'proceedEmpty') {
      this.world.answerInput(build, user, 'proceed');
    } else if (verb === 'submit' || verb === 'proceed') {
      // The form's submit button: `proceed` (its caption) goes on, anything else aborts.
      if (verb === 'submit' && !r.params.has('proceed')) this.world.answerInput(build, user, 'abort');
      else this.world.answerInput(build, user, 'proceed', inputValues(input.params, r.params.get('json')));
    } else {
      throw new HttpError(404, 'Not Found');
    }
    r.res.writeHead(200, { 'Content-Length': 0 });
    r.res.end();
  }

  // --- triggering ---------------------------------------------------------

  private triggerBuild(r: JenkinsRequest, job: Job, user: User): void {
    requirePost(r);
    if (job.disabled) throw new HttpError(409, `${job.fullName} is not buildable`);
    if (job.params.length === 0) {
      this.enqueue(r, job, [this.causeOf(r, user)], null);
      return;
    }
    // ParametersDefinitionProperty._doBuild reads the structured form only.
    const json = r.params.get('json');
    if (!json) {
      const submitted = [...r.params.keys()].length > 0;
      throw new HttpError(400, submitted ? 'This page expects a form submission' : 'Nothing is submitted');
    }
    let form: { parameter?: unknown };
    try {
      form = JSON.parse(json);
    } catch {
      throw new HttpError(400, 'This page expects a form submission');
    }
    const entries = ([] as unknown[]).concat(form.parameter ?? []) as Array<{ name: string; value: unknown }>;
    const values = entries.map(entry => {
      const def = job.params.find(d => d.name === entry.name);
      if (!def) throw new HttpError(500, `java.lang.IllegalArgumentException: No such parameter definition: ${entry.name}`);
      return valueOf(def, entry.value === undefined ? undefined : String(entry.value));
    });
    this.enqueue(r, job, [{ kind: 'user', userId: user.id, userName: user.fullName }], values);
  }

  private triggerWithParameters(r: JenkinsRequest, job: Job, user: User): void {
    requirePost(r);
    if (job.disabled) throw new HttpError(409, `${job.fullName} is not buildable!`);
    if (job.params.length === 0) {
      throw new HttpError(500, 'java.lang.IllegalStateException: This build is not parameterized!');
    }
    // Only defined parameters are read; missing ones take their default.
    const values = job.params.map(def => valueOf(def, r.params.get(def.name) ?? undefined));
    this.enqueue(r, job, [this.causeOf(r, user)], values);
  }

  private causeOf(r: JenkinsRequest, user: User): Cause {
    if (r.params.has('token')) {
      const addr = (r.req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
      return { kind: 'remote', addr, note: r.params.get('cause') };
    }
    return { kind: 'user', userId: user.id, userName: user.fullName };
  }

  private enqueue(r: JenkinsRequest, job: Job, causes: Cause[], params: ParamValue[] | null): void {
    const quiet = parseDelay(r.params.get('delay'));
    const { item } = this.world.schedule(job, causes, params, quiet);
    r.res.writeHead(201, { Location: `${r.root}queue/item/${item.id}/`, 'Content-Length': 0 });
    r.res.end();
  }

  // --- logs ---------------------------------------------------------------

  private async consoleText(r: JenkinsRequest, build: Build): Promise<void> {
    const log = this.world.logOf(build);
    const now = this.world.now();
    await this.sendText(r, log.read(0, now), acceptsGzip(r));
  }

  /** AnnotatedLargeText.doProgressiveText over a plain-text log. */
  private async progressiveText(r: JenkinsRequest, build: Build): Promise<void> {
    const log = this.world.logOf(build);
    const now = this.world.now();
    const complete = build.result !== null;
    const length = log.length(now);
    let start = Number.parseInt(r.params.get('start') ?? '0', 10);
    if (!Number.isFinite(start) || start < 0) start = 0;
    // LargeText: a start beyond the end means the text rolled over.
    if (length < start) start = 0;

    if (complete) {
      r.res.setHeader('X-Text-Size', String(length));
      await this.sendText(r, log.read(start, now), acceptsGzip(r) && length - start > 4096);
      return;
    }
    // While the build runs Jenkins spools at most MAX_LINES_READ whole lines.
    const chunks = [...log.read(start, now, MAX_LINES_READ)];
    const size = chunks.reduce((n, c) => n + c.length, 0);
    r.res.setHeader('X-Text-Size', String(start + size));
    r.res.setHeader('X-More-Data', 'true');
    await this.sendText(r, chunks, acceptsGzip(r) && size > 4096);
  }

  private async sendText(r: JenkinsRequest, chunks: Iterable<Buffer>, gzip: boolean): Promise<void> {
    const res = r.res;
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/plain;charset=UTF-8');
    if (r.method === 'HEAD') {
      res.end();
      return;
    }
    let out: NodeJS.WritableStream = res;
    if (gzip) {
      res.setHeader('Content-Encoding', 'gzip');
      res.setHeader('Vary', 'Accept-Encoding');
      const zip = createGzip();
      zip.pipe(res);
      out = zip;
    }
    for (const chunk of chunks) {
      if (res.destroyed) return;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
  }

  // --- queue, nodes, security ---------------------------------------------

  private async queue(r: JenkinsRequest, rest: string[], shapes: Shapes): Promise<void> {
    if (rest[0] === 'api') {
      await this.api(r, rest.slice(1), () => shapes.queue());
      return;
    }
    if (is(rest, 'cancelItem')) {
      requirePost(r);
      this.cancel(r, Number(r.params.get('id')));
      return;
    }
    if (rest[0] === 'item' && /^\d+$/.test(rest[1] ?? '')) {
      const id = Number(rest[1]);
      if (is(rest.slice(2), 'cancelQueue')) {
        requirePost(r);
        this.cancel(r, id);
        return;
      }
      const item = this.world.queueItem(id);
      if (!item) throw new HttpError(404, 'Not Found');
      if (rest[2] === 'api') {
        await this.api(r, rest.slice(3), () => shapes.queueItem(item));
        return;
      }
      if (rest.length === 2) {
        await this.html(r, `Queue item ${id} [Jenkins]`);
        return;
      }
    }
    throw new HttpError(404, 'Not Found');
  }

  /** Queue.doCancelItem: 204, or 404 when the id is unknown or already left. */
  private cancel(r: JenkinsRequest, id: number): void {
    const item = Number.isFinite(id) ? this.world.queueItem(id) : undefined;
    if (!item || item.state === 'left') {
      throw new HttpError(404, `Provided id (${r.params.get('id') ?? id}) not found`);
    }
    if (item.task.kind !== 'job') throw new HttpError(422, `Item for id (${id}) is not cancellable`);
    this.world.cancelQueueItem(item);
    r.res.writeHead(204);
    r.res.end();
  }

  private async computer(r: JenkinsRequest, rest: string[], shapes: Shapes, user: User): Promise<void> {
    if (rest[0] === 'api') {
      await this.api(r, rest.slice(1), () => shapes.computers());
      return;
    }
    if (is(rest, 'doCreateItem') || is(rest, 'createItem')) {
      requirePost(r);
      createNode(this.world, r.params);
      // ComputerSet.doDoCreateItem redirects to the new node's page.
      r.res.writeHead(302, { Location: `${r.root}computer/${encodeURIComponent(r.params.get('name') ?? '')}/`, 'Content-Length': 0 });
      r.res.end();
      return;
    }
    const name = rest[0];
    const node = this.world.nodes.find(n =>
      n.builtIn ? name === '(built-in)' || name === '(master)' : n.name === name,
    );
    if (!node) throw new HttpError(404, 'Not Found');
    if (rest[1] === 'api') {
      await this.api(r, rest.slice(2), () => shapes.computer(node));
      return;
    }
    if (rest.length === 1) {
      await this.html(r, `${node.name} [Jenkins]`);
      return;
    }
    if (node.builtIn) throw new HttpError(404, 'Not Found');
    if (is(rest.slice(1), 'doDelete')) {
      requirePost(r);
      this.world.removeNode(node);
      r.res.writeHead(302, { Location: `${r.root}computer/`, 'Content-Length': 0 });
      r.res.end();
      return;
    }
    if (is(rest.slice(1), 'toggleOffline')) {
      requirePost(r);
      this.world.toggleOffline(node, user, r.params.get('offlineMessage') ?? '');
      r.res.writeHead(302, { Location: `${r.root}computer/${encodeURIComponent(node.name)}/`, 'Content-Length': 0 });
      r.res.end();
      return;
    }
    if (is(rest.slice(1), 'config.xml')) {
      if (r.method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
      r.res.writeHead(200, { 'Content-Type': 'application/xml;charset=utf-8' });
      r.res.end(nodeConfigXml(node));
      return;
    }
    throw new HttpError(404, 'Not Found');
  }

  private crumb(r: JenkinsRequest, user: User): void {
    const session = this.security.ensureSession(r.req, user);
    if (session.setCookie) r.res.setHeader('Set-Cookie', session.setCookie);
    this.json(r, {
      _class: 'hudson.security.csrf.DefaultCrumbIssuer',
      crumb: this.security.crumb(user, session.id),
      crumbRequestField: CRUMB_FIELD,
    });
  }

  private whoAmI(r: JenkinsRequest, user: User): void {
    this.json(r, {
      _class: 'hudson.security.WhoAmI',
      anonymous: false,
      authenticated: true,
      authorities: ['authenticated'],
      details: null,
      name: user.id,
      toString: `UsernamePasswordAuthenticationToken [Principal=${user.id}, Credentials=[PROTECTED], Authenticated=true, Granted Authorities=[authenticated]]`,
    });
  }

  // --- responses ----------------------------------------------------------

  /** `…/api/json?tree=…&depth=…&pretty=…`; `api/xml` and friends are not offered. */
  private api(r: JenkinsRequest, rest: string[], make: () => Value): void {
    if (!is(rest, 'json')) throw new HttpError(404, 'Not Found');
    const treeParam = r.params.get('tree');
    let tree;
    try {
      tree = treeParam ? parseTree(treeParam) : undefined;
    } catch (error) {
      if (error instanceof TreeSyntaxError) throw new HttpError(400, error.message);
      throw error;
    }
    const depth = Number.parseInt(r.params.get('depth') ?? '0', 10) || 0;
    this.json(r, toJson(make(), pruner({ tree, depth })));
  }

  private json(r: JenkinsRequest, json: unknown): void {
    const body = stringify(json, r.params.get('pretty') === 'true');
    r.res.writeHead(200, {
      'Content-Type': 'application/json;charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    r.res.end(r.method === 'HEAD' ? undefined : body);
  }

  private html(r: JenkinsRequest, title: string): void {
    const body = `<!DOCTYPE html><html><head><title>${title.replace(/</g, '&lt;')}</title></head><body><h1>${title.replace(/</g, '&lt;')}</h1><p>Batch Jobs sandbox: use the REST API (<a href="api/json?pretty=true">api/json</a>).</p></body></html>`;
    r.res.writeHead(200, { 'Content-Type': 'text/html;charset=utf-8', 'X-Hudson': '1.395' });
    r.res.end(body);
  }

  private errorPage(r: JenkinsRequest, status: number, message: string): void {
    if (r.res.headersSent) {
      r.res.destroy();
      return;
    }
    const body = jettyErrorPage(status, message, r.path);
    r.res.removeHeader('X-Text-Size');
    r.res.removeHeader('X-More-Data');
    r.res.writeHead(status, {
      'Content-Type': 'text/html;charset=iso-8859-1',
      'Cache-Control': 'must-revalidate,no-cache,no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    r.res.end(body);
  }

  private authenticationRequired(r: JenkinsRequest): void {
    const body = authenticationRequiredPage(r.path);
    r.res.writeHead(403, {
      'Content-Type': 'text/html;charset=utf-8',
      'X-You-Are-Authenticated-As': 'anonymous',
      'X-You-Are-In-Group-Disabled':
        'JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose',
      'X-Required-Permission': 'hudson.model.Hudson.Read',
      'X-Permission-Implied-By': ['hudson.security.Permission.GenericRead', 'hudson.model.Hudson.Administer'],
      'Content-Length': Buffer.byteLength(body),
    });
    r.res.end(body);
  }
}

/** Jenkins.checkGoodName: characters no item or node name may contain. */
const BAD_NAME = /[?*/\\%!@#$^&|<>[\]:;]/;

/**
 * ComputerSet.doDoCreateItem: `name`, `type` (a node descriptor) and the
 * structured form in `json`, as the UI, the CLI and client libraries send it.
 */
function createNode(world: World, params: URLSearchParams): void {
  const name = (params.get('name') ?? '').trim();
  if (!name) throw new HttpError(400, 'Query parameter name is required');
  if (BAD_NAME.test(name)) throw new HttpError(400, `‘${name.match(BAD_NAME)![0]}’ is an unsafe character`);
  const type = params.get('type') ?? '';
  if (!/^hudson\.slaves\.DumbSlave(\$DescriptorImpl)?$/.test(type)) {
    throw new HttpError(400, `No such node type: ${type}`);
  }
  if (world.node(name) || name === 'built-in') throw new HttpError(400, `Agent called ‘${name}’ already exists`);
  let form: Record<string, unknown>;
  try {
    form = JSON.parse(params.get('json') ?? '');
  } catch {
    throw new HttpError(400, 'This page expects a form submission');
  }
  const executors = Number(form.numExecutors ?? 1);
  if (!Number.isInteger(executors) || executors < 1) {
    throw new HttpError(400, 'Number of executors must be a positive integer');
  }
  const remoteFS = String(form.remoteFS ?? '').trim();
  if (!remoteFS) throw new HttpError(400, 'Remote root directory is required');
  const launcher = form.launcher as Record<string, unknown> | undefined;
  const now = world.now();
  world.addNode({
    name,
    labels: String(form.labelString ?? '')
      .split(/\s+/)
      .filter(Boolean),
    numExecutors: executors,
    executors: new Array(executors).fill(null),
    builtIn: false,
    // A new inbound agent waits for its JNLP connection.
    offline: true,
    temporarilyOffline: false,
    offlineCause: null,
    connected: false,
    description: String(form.nodeDescription ?? ''),
    connectedSince: now,
    remoteFS,
    launcher: String(launcher?.['stapler-class'] ?? launcher?.$class ?? 'hudson.slaves.JNLPLauncher'),
    monitor: { totalMemory: 8 * 1024 ** 3, freeMemory: 4 * 1024 ** 3, diskFree: 60 * 1024 ** 3, tmpFree: 10 * 1024 ** 3, responseMs: 40 },
  });
}

function nodeConfigXml(node: import('../world/model').Node): string {
  const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return [
    "<?xml version='1.1' encoding='UTF-8'?>",
    '<slave>',
    `  <name>${esc(node.name)}</name>`,
    `  <description>${esc(node.description)}</description>`,
    `  <remoteFS>${esc(node.remoteFS ?? '/home/jenkins')}</remoteFS>`,
    `  <numExecutors>${node.numExecutors}</numExecutors>`,
    '  <mode>EXCLUSIVE</mode>',
    '  <retentionStrategy class="hudson.slaves.RetentionStrategy$Always"/>',
    `  <launcher class="${esc(node.launcher ?? 'hudson.slaves.JNLPLauncher')}"/>`,
    `  <label>${esc(node.labels.join(' '))}</label>`,
    '  <nodeProperties/>',
    '</slave>',
    '',
  ].join('\n');
}

/** Header values are Latin-1 (Node refuses more): quotes become plain, anything else beyond it '?', as Jetty writes it. */
function encodeHeader(text: string): string {
  return text.replace(/[‘’“”]/g, "'").replace(/[^\x20-\x7e\xa0-\xff]/g, '?');
}

function is(segments: string[], ...expected: string[]): boolean {
  return segments.length === expected.length && expected.every((s, i) => segments[i] === s);
}

function requirePost(r: JenkinsRequest): void {
  if (r.method !== 'POST') throw new HttpError(405, 'This URL requires POST');
}

function crumbOf(r: JenkinsRequest): string | undefined {
  const header = r.req.headers[CRUMB_FIELD.toLowerCase()];
  if (typeof header === 'string') return header;
  return r.params.get(CRUMB_FIELD) ?? undefined;
}

function acceptsGzip(r: JenkinsRequest): boolean {
  return /\bgzip\b/.test(String(r.req.headers['accept-encoding'] ?? ''));
}

/** An input's submitted form (`json={"parameter":[{name,value}]}`), checked against its definitions. */
function inputValues(defs: ParamDefinition[], json: string | null): ParamValue[] {
  let entries: Array<{ name: string; value: unknown }> = [];
  if (json) {
    try {
      entries = ([] as unknown[]).concat(JSON.parse(json).parameter ?? []) as typeof entries;
    } catch {
      throw new HttpError(400, 'This page expects a form submission');
    }
  }
  return defs.map(def => {
    const entry = entries.find(e => e?.name === def.name);
    return valueOf(def, entry?.value === undefined ? undefined : String(entry.value));
  });
}

/** TimeDuration.fromString: "10", "10sec", "500ms", "2min". */
function parseDelay(text: string | null): number {
  if (text === null || text === '') return DEFAULT_QUIET_PERIOD_MS;
  const match = /^\s*(\d+)\s*(ms|sec|secs|min|mins)?\s*$/.exec(text);
  if (!match) return DEFAULT_QUIET_PERIOD_MS;
  const n = Number(match[1]);
  switch (match[2]) {
    case 'ms':
      return n;
    case 'min':
    case 'mins':
      return n * 60000;
    default:
      return n * 1000;
  }
}

/** ParameterDefinition.createValue(StaplerRequest): defaults for what is not sent. */
function valueOf(def: ParamDefinition, sent: string | undefined): ParamValue {
  switch (def.type) {
    case 'boolean':
      return { type: 'boolean', name: def.name, value: sent === undefined ? def.defaultValue : sent === 'true' };
    case 'choice': {
      const value = sent ?? def.choices[0];
      if (!def.choices.includes(value)) {
        throw new HttpError(
          500,
          `java.lang.IllegalArgumentException: Illegal choice for parameter ${def.name}: ${value}`,
        );
      }
      return { type: 'string', name: def.name, value };
    }
    case 'password':
      return { type: 'password', name: def.name, value: sent ?? def.defaultValue };
    case 'text':
      return { type: 'text', name: def.name, value: sent ?? def.defaultValue };
    default:
      return { type: 'string', name: def.name, value: sent ?? def.defaultValue };
  }
}
