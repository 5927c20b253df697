// A file or folder on the machine that runs the registry. The desktop app offers the system's file
// dialog; in a browser on `br serve` the path is typed, since the files live beside the server.
import { Button, Group, TextInput } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";

interface Props {
  label: string;
  value: string;
  onChange(path: string): void;
  description?: string;
}

async function pick(kind: "open-file" | "save-file" | "folder", extensions?: string[]): Promise<string | null> {
  const dialog = await import("@tauri-apps/plugin-dialog");
  const filters = extensions ? [{ name: extensions.join(", "), extensions }] : undefined;
  if (kind === "save-file") return dialog.save({ filters });
  const chosen = await dialog.open({ directory: kind === "folder", multiple: false, filters });
  return typeof chosen === "string" ? chosen : null;
}

function PathField({ kind, extensions, ...props }: Props & { kind: "open-file" | "save-file" | "folder"; extensions?: string[] }) {
  const { t } = useTranslation();
  const desktop = api.transport.kind === "desktop";
  return (
    <Group align="end" wrap="nowrap">
      <TextInput
        style={{ flex: 1 }}
        label={props.label}
        description={props.description ?? (desktop ? undefined : t("files.server_path_hint"))}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        required
      />
      {desktop && (
        <Button
          variant="default"
          onClick={async () => {
            const path = await pick(kind, extensions);
            if (path) props.onChange(path);
          }}
        >
          {t("files.browse")}
        </Button>
      )}
    </Group>
  );
}

export const FileField = (p: Props & { extensions?: string[] }) => <PathField kind="open-file" {...p} />;
export const SaveField = (p: Props & { extensions?: string[] }) => <PathField kind="save-file" {...p} />;
export const FolderField = (p: Props) => <PathField kind="folder" {...p} />;
