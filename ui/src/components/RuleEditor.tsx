// The rule editor: CEL with highlighting, the checker's error underlined where it is, and a live count of
// who the rule selects. The highlighted copy sits under a transparent textarea, so typing, selection and
// screen readers work on a plain text field.
import { useEffect, useMemo, useState } from "react";
import { Alert, Box, Group, Loader, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import type { Preview, RegistrantKind, RuleCheck, RuleKind } from "../api/bindings";
import { api } from "../api/client";
import { RuleBuilder } from "./RuleBuilder";
import { useDebounced } from "./useDebounced";

const TOKEN = /(\s+)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)|(\d+(?:\.\d+)?)|(&&|\|\||[=!<>]=?|[+\-*/%?:!])|([A-Za-z_][A-Za-z0-9_]*)|(.)/g;
const KEYWORDS = new Set(["true", "false", "null", "in"]);
const VARIABLES = new Set(["me", "household", "members", "programs"]);

/** Splits a rule into coloured pieces: strings, numbers, operators, variables, functions. */
export function highlight(source: string): { text: string; kind: string }[] {
  const out: { text: string; kind: string }[] = [];
  for (const m of source.matchAll(TOKEN)) {
    const [text, space, str, num, op, ident] = m;
    let kind = "plain";
    if (space) kind = "plain";
    else if (str) kind = "string";
    else if (num) kind = "number";
    else if (op) kind = "operator";
    else if (ident) {
      const next = source.slice((m.index ?? 0) + text.length).trimStart();
      kind = KEYWORDS.has(ident) ? "keyword" : VARIABLES.has(ident) ? "variable" : next.startsWith("(") ? "function" : "field";
    }
    out.push({ text, kind });
  }
  return out;
}

const COLOURS: Record<string, string> = {
  string: "var(--mantine-color-green-9)",
  number: "var(--mantine-color-orange-9)",
  operator: "var(--mantine-color-grape-9)",
  keyword: "var(--mantine-color-blue-9)",
  variable: "var(--mantine-color-indigo-9)",
  function: "var(--mantine-color-cyan-9)",
  field: "var(--mantine-color-text)",
  plain: "var(--mantine-color-text)",
};


interface Props {
  value: string;
  onChange: (v: string) => void;
  target: RegistrantKind;
  kind?: RuleKind;
  label: string;
  /** Count who the rule selects as the person types (eligibility rules). */
  livePreview?: boolean;
  onValidity?: (ok: boolean) => void;
}

export function RuleEditor({ value, onChange, target, kind = "condition", label, livePreview = true, onValidity }: Props) {
  const { t, i18n } = useTranslation();
  const source = useDebounced(value, 300);
  const [check, setCheck] = useState<RuleCheck | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [counting, setCounting] = useState(false);

  useEffect(() => {
    let live = true;
    // Nothing typed is nothing wrong yet: an empty eligibility rule selects everyone; an empty amount waits.
    if (source.trim() === "" && kind === "score") {
      setCheck(null);
      onValidity?.(false);
      return;
    }
    void api.call("programs.check_rule", { rule: source, kind, target }).then((c) => {
      if (!live) return;
      setCheck(c);
      onValidity?.(c.ok);
    });
    return () => {
      live = false;
    };
  }, [source, kind, target, onValidity]);

  useEffect(() => {
    if (!livePreview || !check?.ok || kind !== "condition") {
      setPreview(null);
      return;
    }
    let live = true;
    setCounting(true);
    void api
      .call("programs.preview", { rule: source, target })
      .then((p) => live && setPreview(p))
      .finally(() => live && setCounting(false));
    return () => {
      live = false;
    };
  }, [check, source, target, kind, livePreview]);

  const error = check && !check.ok ? check.error : null;
  const pieces = useMemo(() => highlight(value), [value]);
  // The error's characters, underlined in the highlighted copy.
  let offset = 0;
  const marked = pieces.map((p, i) => {
    const start = offset;
    offset += [...p.text].length;
    const bad = error?.start != null && error.end != null && start < error.end && offset > error.start;
    return (
      <span key={i} style={{ color: COLOURS[p.kind], textDecoration: bad ? "underline wavy var(--mantine-color-red-8)" : undefined }}>
        {p.text}
      </span>
    );
  });
  const shared: React.CSSProperties = {
    fontFamily: "var(--mantine-font-family-monospace)",
    fontSize: 14,
    lineHeight: 1.5,
    padding: 10,
    margin: 0,
    whiteSpace: "pre-wrap",
    wordBreak: "break-word",
    minHeight: 90,
  };
  return (
    <Box>
      {kind === "condition" && (
        <Box mb="xs">
          <RuleBuilder value={value} onChange={onChange} target={target} />
        </Box>
      )}
      <Text component="label" htmlFor="rule-editor" fw={500} size="sm">
        {kind === "condition" ? t("builder.as_cel", { label }) : label}
      </Text>
      <Box pos="relative" style={{ border: "1px solid var(--mantine-color-default-border)", borderRadius: 4 }} dir="ltr">
        <pre aria-hidden style={{ ...shared }}>
          {marked}
          {"\n"}
        </pre>
        <textarea
          id="rule-editor"
          data-testid="rule-editor"
          value={value}
          spellCheck={false}
          aria-invalid={!!error}
          aria-describedby="rule-editor-status"
          onChange={(e) => onChange(e.currentTarget.value)}
          style={{
            ...shared,
            position: "absolute",
            inset: 0,
            width: "100%",
            height: "100%",
            border: 0,
            resize: "none",
            background: "transparent",
            color: "transparent",
            caretColor: "var(--mantine-color-text)",
          }}
        />
      </Box>
      <Box id="rule-editor-status" mt={6} aria-live="polite">
        {error ? (
          <Alert color="red" p="xs" data-testid="rule-error">
            {error.start != null ? t("rules.error_at", { message: error.message, position: error.start + 1 }) : error.message}
            {error.hint && (
              <Text size="sm" mt={4} fw={600} data-testid="rule-hint">
                {error.hint}
              </Text>
            )}
            {error.known.length > 0 && (
              <Text size="sm" mt={4}>
                {t("rules.known")} <code>{error.known.join(", ")}</code>
              </Text>
            )}
          </Alert>
        ) : (
          <Stack gap={4}>
          {(check?.warnings ?? []).map((w) => (
            <Alert key={w} color="yellow" p="xs" data-testid="rule-warning">
              {w}
            </Alert>
          ))}
          <Group gap="xs">
            {check?.ok && (
              <Text size="sm">{t("rules.valid")}</Text>
            )}
            {counting && <Loader size="xs" />}
            {preview && (
              <Text size="sm" data-testid="rule-preview-count">
                {t("rules.matches", { matches: preview.matches.toLocaleString(i18n.language), errors: preview.errors.toLocaleString(i18n.language), ms: preview.elapsed_ms })}
              </Text>
            )}
          </Group>
          </Stack>
        )}
      </Box>
    </Box>
  );
}
