import { useEffect } from "react";
import {
  Badge,
  DirectionProvider,
  MantineProvider,
  createTheme,
  localStorageColorSchemeManager,
  useDirection,
  type CSSVariablesResolver,
} from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { useTranslation } from "react-i18next";
import { directionOf } from "./prefs";
import { SessionProvider, useSession } from "./session";
import { Shell } from "./Shell";
import { Setup } from "../pages/Setup";
import { Login } from "../pages/Login";
import { Unlock } from "../pages/Unlock";
import { CenteredLoader } from "../components/CenteredLoader";

/** The fonts shipped with the app (main.tsx), Latin first: a name in any script renders the same on every desk. */
const FONTS = '"Noto Sans", "Noto Sans Arabic", "Noto Sans Ethiopic", sans-serif';

const theme = createTheme({
  fontFamily: FONTS,
  headings: { fontFamily: FONTS },
  primaryColor: "blue",
  defaultRadius: "md",
  primaryShade: { light: 8, dark: 7 },
  autoContrast: true,
  // A coloured dot beside text in the normal colour: tinted text on a tinted background is too faint.
  components: { Badge: Badge.extend({ defaultProps: { variant: "dot" } }) },
});

/** Mantine's light-scheme dimmed text and light-variant colours are below WCAG AA contrast; these are not. */
const LIGHT_VARIANT_COLORS = ["blue", "green", "gray", "red", "yellow", "orange", "teal", "grape"];
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    "--mantine-color-dimmed": "var(--mantine-color-gray-7)",
    ...Object.fromEntries(LIGHT_VARIANT_COLORS.map((c) => [`--mantine-color-${c}-light-color`, `var(--mantine-color-${c}-9)`])),
  },
  dark: {},
});
const colorSchemeManager = localStorageColorSchemeManager({ key: "br.colorScheme" });

function Screens() {
  const { status, login } = useSession();
  if (!status) return <CenteredLoader />;
  if (status.state === "no_registry") return <Setup />;
  if (status.state === "needs_passphrase") return <Unlock status={status} />;
  if (!login) return <Login status={status} />;
  return <Shell />;
}

/** Keeps Mantine's direction in step with the language (Arabic is right-to-left). */
function DirectionSync({ dir }: { dir: "ltr" | "rtl" }) {
  const { setDirection } = useDirection();
  useEffect(() => setDirection(dir), [dir, setDirection]);
  return null;
}

export function App() {
  const { i18n } = useTranslation();
  const dir = directionOf(i18n.language);
  useEffect(() => {
    document.documentElement.setAttribute("dir", dir);
    document.documentElement.setAttribute("lang", i18n.language);
  }, [dir, i18n.language]);
  return (
    <DirectionProvider initialDirection={dir} detectDirection={false}>
      <DirectionSync dir={dir} />
      <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} colorSchemeManager={colorSchemeManager} defaultColorScheme="auto">
        <Notifications position="top-center" />
        <SessionProvider>
          <Screens />
        </SessionProvider>
      </MantineProvider>
    </DirectionProvider>
  );
}
