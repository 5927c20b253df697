import { Text } from "@mantine/core";

/** A labelled value on a read-only page; a dash when there is none. */
export function Field({ label, value, testId }: { label: string; value: string | null | undefined; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text data-testid={testId}>{value || "—"}</Text>
    </div>
  );
}
