// A consequential action behind a second look: the button opens a dialog that states what will happen
// (worked out by the registry where it can be, such as what a merge moves), and only its confirm button
// acts. What happened is then said in a notification; a refusal stays in the dialog with its reason.
import { type ReactNode, useState } from "react";
import { Button, type ButtonProps, Group, Loader, Modal, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { notify } from "./attempt";
import { ErrorNote } from "./ErrorNote";

interface Props {
  label: ReactNode;
  title: string;
  /** What will happen, in words; asked for when the dialog opens. */
  consequence: () => Promise<ReactNode> | ReactNode;
  confirmLabel: string;
  /** Does it, and says what was done; null when the page shows the work itself (its progress, its result). */
  run: () => Promise<string | null>;
  color?: string;
  buttonProps?: ButtonProps & { "data-testid"?: string };
}

export function ConfirmButton({ label, title, consequence, confirmLabel, run, color, buttonProps }: Props) {
  const { t } = useTranslation();
  const [opened, setOpened] = useState(false);
  const [said, setSaid] = useState<ReactNode>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"reading" | "acting" | null>(null);
  const open = async () => {
    setOpened(true);
    setSaid(null);
    setError(null);
    setBusy("reading");
    try {
      setSaid(await consequence());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const confirm = async () => {
    setBusy("acting");
    setError(null);
    try {
      const done = await run();
      setOpened(false);
      if (done) notify(t, { color: "green", message: done });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const testId = buttonProps?.["data-testid"];
  return (
    <>
      <Button color={color} {...buttonProps} onClick={() => void open()}>
        {label}
      </Button>
      <Modal opened={opened} onClose={() => busy !== "acting" && setOpened(false)} title={title} closeButtonProps={{ "aria-label": t("common.cancel") }}>
        <Stack data-testid={testId ? `${testId}-confirm` : undefined}>
          {busy === "reading" ? <Loader size="sm" aria-label={t("common.loading")} /> : said && <Text data-testid="consequence">{said}</Text>}
          <ErrorNote error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)} disabled={busy === "acting"}>
              {t("common.cancel")}
            </Button>
            <Button color={color} onClick={() => void confirm()} loading={busy === "acting"} disabled={busy === "reading" || (!said && !!error)} data-testid="confirm">
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
