// A file for the registry to read or write. The desktop app offers the system's file dialog and sends the
// path; in a browser on `br serve` a chosen file is uploaded, and what is saved comes back as a download
// (no request from a browser names a file on the server).
import { useEffect, useState } from "react";
import { Button, FileInput, Group, Text, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import { AS_DOWNLOAD, uploadedValue } from "../api/files";
import { errorMessage } from "../api/errors";

interface Props {
  label: string;
  value: string;
  onChange(value: string): void;
  description?: string;
}

async function pick(kind: "open-file" | "save-file" | "folder", extensions?: string[]): Promise<string | null> {
  const dialog = await import("@tauri-apps/plugin-dialog");
  const filters = extensions ? [{ name: extensions.join(", "), extensions }] : undefined;
  if (kind === "save-file") return dialog.save({ filters });
  const chosen = await dialog.open({ directory: kind === "folder", multiple: false, filters });
  return typeof chosen === "string" ? chosen : null;
}

function DesktopPathField({ kind, extensions, ...props }: Props & { kind: "open-file" | "save-file" | "folder"; extensions?: string[] }) {
  const { t } = useTranslation();
  return (
    <Group align="end" wrap="nowrap">
      <TextInput style={{ flex: 1 }} label={props.label} description={props.description} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} required />
      <Button
        variant="default"
        onClick={async () => {
          const path = await pick(kind, extensions);
          if (path) props.onChange(path);
        }}
      >
        {t("files.browse")}
      </Button>
    </Group>
  );
}

/** In a browser: the chosen file is uploaded at once; the field's value names the upload. */
function UploadField({ extensions, ...props }: Props & { extensions?: string[] }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<"idle" | "sending" | "sent">("idle");
  const [error, setError] = useState<string | null>(null);
  return (
    <FileInput
      label={props.label}
      description={props.description ?? (state === "sending" ? t("files.uploading") : undefined)}
      accept={extensions?.map((e) => `.${e}`).join(",")}
      value={file}
      error={error}
      required
      onChange={async (chosen) => {
        setFile(chosen);
        setError(null);
        props.onChange("");
        if (!chosen) return;
        setState("sending");
        try {
          props.onChange(uploadedValue(await api.upload(chosen)));
          setState("sent");
        } catch (e) {
          setError(errorMessage(t, e));
          setState("idle");
        }
      }}
    />
  );
}

/** In a browser: nothing to choose; the file comes back as a download. */
function DownloadNote(props: Props) {
  const { t } = useTranslation();
  const { value, onChange } = props;
  useEffect(() => {
    if (value !== AS_DOWNLOAD) onChange(AS_DOWNLOAD);
  }, [value, onChange]);
  return (
    <div>
      <Text size="sm" fw={500}>{props.label}</Text>
      <Text size="sm" c="dimmed">{t("files.downloads_here")}</Text>
    </div>
  );
}

const desktop = () => api.transport.kind === "desktop";

export const FileField = (p: Props & { extensions?: string[] }) =>
  desktop() ? <DesktopPathField kind="open-file" {...p} /> : <UploadField {...p} />;
export const SaveField = (p: Props & { extensions?: string[] }) =>
  desktop() ? <DesktopPathField kind="save-file" {...p} /> : <DownloadNote {...p} />;
function ServerOnlyNote(props: Props) {
  const { t } = useTranslation();
  return (
    <div>
      <Text size="sm" fw={500}>{props.label}</Text>
      <Text size="sm" c="dimmed">{t("files.server_only")}</Text>
    </div>
  );
}

/** Backups: folders on the computer that holds the registry, so the desktop app only. */
export const FolderField = (p: Props) => (desktop() ? <DesktopPathField kind="folder" {...p} /> : <ServerOnlyNote {...p} />);
