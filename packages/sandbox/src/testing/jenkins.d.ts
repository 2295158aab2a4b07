// The jenkins client ships without types; tests use it as a black box.
declare module 'jenkins';
