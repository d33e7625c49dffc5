/**
 * Events, emitters, subscribers and handlers.
 *
 * @module
 */
export { Event } from "./event.ts";
export { type Callback, type CallbackOptions, Handler } from "./handler.ts";
export { type CallbackHost, Emitter, type EventArgs, type Subscriber } from "./emitter.ts";
export { UnknownEventError } from "./errors.ts";
