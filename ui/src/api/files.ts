// Files the registry reads and writes. On the desktop they are paths from the system's dialogs; in a
// browser on `br serve` they travel: a chosen file is uploaded and named by its upload id, and what an
// operation writes comes back as downloads. No request from a browser names a file on the server.
import type { TFunction } from "i18next";
import type { Download } from "./bindings";
import { api } from "./client";
import { ApiFailure } from "./transport";

/** A field's value for an uploaded file (a path never starts like this). */
const UPLOADED = "upload:";
/** A save field's value in a browser: the file comes back as a download. */
export const AS_DOWNLOAD = "download:";

export function uploadedValue(id: string): string {
  return UPLOADED + id;
}

/** The request's file, from a file field's value. */
export function inputFile(value: string): { upload: string } | { path: string } {
  return value.startsWith(UPLOADED) ? { upload: value.slice(UPLOADED.length) } : { path: value };
}

/** The request's destination, from a save field's value. */
export function outputFile(value: string, overwrite: boolean): { download: boolean } | { path: string; overwrite: boolean } {
  return value === AS_DOWNLOAD ? { download: true } : { path: value, overwrite };
}

/** Hands the browser what an operation wrote for it. */
export function deliver(downloads: Download[]) {
  for (const d of downloads) api.transport.download(d);
}

/** Runs `save` without overwriting; if the file exists, asks, and runs it again replacing the file. */
export async function saveAskingToReplace<T>(t: TFunction, save: (overwrite: boolean) => Promise<T>): Promise<T> {
  try {
    return await save(false);
  } catch (e) {
    if (e instanceof ApiFailure && e.code === "already_exists" && window.confirm(t("files.replace"))) return save(true);
    throw e;
  }
}
