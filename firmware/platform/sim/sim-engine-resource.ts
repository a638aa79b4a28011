// Simulator stand-in for Moddable's Resource (native/xs/engine/sim/resource.c): a file's bytes
// as a read-only host buffer outside the XS heap, as flash is on a board. Typed arrays view it
// without copying (new Uint8Array(resource)); the engine opens a model in place from it.

const open = native("xs_sim_resource") as (this: SimResource, path: string) => void;
const byteLength = native("xs_sim_resource_byteLength") as (this: SimResource) => number;

export class SimResource extends Native("xs_sim_resource_destructor") {
  constructor(path: string) {
    super();
    open.call(this, path);
  }

  get byteLength(): number {
    return byteLength.call(this);
  }
}
