// Saving a file the registry writes: an existing file is never replaced unless the person says so.
import type { TFunction } from "i18next";
import { ApiFailure } from "./transport";

/** Runs `save` without overwriting; if the file exists, asks, and runs it again replacing the file. */
export async function saveAskingToReplace<T>(t: TFunction, save: (overwrite: boolean) => Promise<T>): Promise<T> {
  try {
    return await save(false);
  } catch (e) {
    if (e instanceof ApiFailure && e.code === "already_exists" && window.confirm(t("files.replace"))) return save(true);
    throw e;
  }
}
