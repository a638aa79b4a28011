// Globals through which the JS faces in native/xs bind their C bodies. XS 17 (Moddable SDK 8)
// provides both; the simulator (XS 13.3) defines them over its table of the same xsmc host
// functions. Only these two are declared here: trace/timers come from @moddable/typings on
// boards, and declaring them again would clash with it.

/** Marker for instances of a Native() class: host objects whose C data the face binds. */
interface NativeObject {}

/**
 * The host function `name` (an xsmc callback such as "xs_crc32"). Cast the result to the
 * function's real type; call methods with `.call(this, ...)`.
 */
declare function native(name: string): (...args: never[]) => unknown;

/**
 * A base class whose instances are host objects destroyed by the C destructor `destructor`
 * (e.g. "xs_flash_destructor"); subclasses' instances are host objects too.
 */
declare function Native(destructor: string): new () => NativeObject;
