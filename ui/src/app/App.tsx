import { useEffect } from "react";
import {
  DirectionProvider,
  MantineProvider,
  createTheme,
  localStorageColorSchemeManager,
  useDirection,
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

const theme = createTheme({ primaryColor: "blue", defaultRadius: "md" });
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
      <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="auto">
        <Notifications position="top-center" />
        <SessionProvider>
          <Screens />
        </SessionProvider>
      </MantineProvider>
    </DirectionProvider>
  );
}
