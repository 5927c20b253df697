import { Text } from "@mantine/core";

/** A labelled value on a read-only page; a dash when there is none. */
export function Field({ label, value, testId }: { label: string; value: string | null | undefined; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {/* Isolated, so a right-to-left value keeps its order in a left-to-right page and the reverse. */}
      {/* A long value without spaces (a financial address) wraps instead of running into the next field. */}
      <Text data-testid={testId} style={{ overflowWrap: "anywhere" }}>
        <bdi>{value || "—"}</bdi>
      </Text>
    </div>
  );
}
