import Flash from "flash";
import { FlashBackedStorage } from "../flash-backed-storage.js";

/** Storage over Moddable's `flash` module (a partition of the board's NOR flash). */
export class FlashStorage extends FlashBackedStorage {
  constructor(partition: string) {
    super(new Flash(partition));
  }
}
