// The frame around every page once logged in: navigation, the one search box, language, theme, lock.
import { useRef, useState, type ReactNode } from "react";
import {
  ActionIcon,
  AppShell,
  Burger,
  Group,
  Menu,
  NavLink,
  Text,
  TextInput,
  Title,
  Tooltip,
  useMantineColorScheme,
} from "@mantine/core";
import { useDisclosure, useHotkeys } from "@mantine/hooks";
import {
  IconCopy,
  IconFileImport,
  IconListCheck,
  IconHome,
  IconHomeHeart,
  IconListSearch,
  IconLock,
  IconLogout,
  IconMoon,
  IconSearch,
  IconSettings,
  IconShieldCheck,
  IconSun,
  IconUser,
  IconUsers,
} from "@tabler/icons-react";
import { useTranslation } from "react-i18next";
import type { Permission } from "../api/bindings";
import { hrefOf, navigate, useRoute, type Route } from "./route";
import { useSession } from "./session";
import { Home } from "../pages/Home";
import { Beneficiaries } from "../pages/Beneficiaries";
import { Beneficiary } from "../pages/Beneficiary";
import { Households } from "../pages/Households";
import { ImportWizard } from "../pages/ImportWizard";
import { Settings } from "../pages/Settings";
import { AuditLog } from "../pages/AuditLog";
import { Duplicates } from "../pages/Duplicates";
import { Program } from "../pages/programs/Program";
import { Cycle } from "../pages/cycles/Cycle";
import { Vouchers } from "../pages/cycles/Vouchers";
import { Programs } from "../pages/programs/Programs";
import { LanguageSelect } from "../components/LanguageSelect";
import { SyncIndicator } from "../components/SyncIndicator";
import { Conflicts } from "../pages/Conflicts";

interface NavItem {
  route: Route;
  label: string;
  icon: ReactNode;
  needs?: Permission;
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "home":
      return <Home />;
    case "beneficiaries":
      return <Beneficiaries initialQuery={route.query} />;
    case "beneficiary":
      return <Beneficiary reference={route.reference} />;
    case "households":
      return <Households />;
    case "import":
      return <ImportWizard />;
    case "programs":
      return <Programs />;
    case "program":
      return <Program code={route.code} tab={route.tab} state={route.state} key={`${route.code}/${route.tab ?? ""}/${route.state ?? ""}`} />;
    case "cycle":
      return <Cycle id={route.id} show={route.show} />;
    case "vouchers":
      return <Vouchers cycle={route.cycle} />;
    case "duplicates":
      return <Duplicates program={route.program} />;
    case "settings":
      return <Settings tab={route.tab} />;
    case "audit":
      return <AuditLog entityId={route.entityId} />;
    case "conflicts":
      return <Conflicts />;
  }
}

export function Shell() {
  const { t } = useTranslation();
  const { status, login, lock, logOut, can } = useSession();
  const route = useRoute();
  const [opened, { toggle }] = useDisclosure();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const [search, setSearch] = useState("");
  const searchRef = useRef<HTMLInputElement>(null);
  useHotkeys([
    ["mod+K", () => searchRef.current?.focus()],
    ["/", () => searchRef.current?.focus()],
    ["mod+L", () => void lock()],
  ]);
  const nav: NavItem[] = [
    { route: { page: "home" }, label: t("nav.home"), icon: <IconHome size={18} /> },
    { route: { page: "beneficiaries" }, label: t("nav.beneficiaries"), icon: <IconUsers size={18} /> },
    { route: { page: "households" }, label: t("nav.households"), icon: <IconHomeHeart size={18} /> },
    { route: { page: "programs" }, label: t("nav.programs"), icon: <IconListCheck size={18} /> },
    { route: { page: "duplicates" }, label: t("nav.duplicates"), icon: <IconCopy size={18} /> },
    { route: { page: "import" }, label: t("nav.import"), icon: <IconFileImport size={18} />, needs: "import_run" },
    { route: { page: "audit" }, label: t("nav.audit"), icon: <IconShieldCheck size={18} />, needs: "audit_read" },
    { route: { page: "settings" }, label: t("nav.settings"), icon: <IconSettings size={18} /> },
  ];
  const office = status?.state === "ready" ? status.office_name : "";
  const dark = colorScheme === "dark";
  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("nav.menu")} />
            <Title order={1} size="h4">
              {t("app.name")}
            </Title>
            <Text c="dimmed" size="sm" visibleFrom="md">
              {office}
            </Text>
          </Group>
          <form
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              navigate({ page: "beneficiaries", query: search.trim() || undefined });
            }}
          >
            <TextInput
              ref={searchRef}
              w={{ base: 180, md: 360 }}
              leftSection={<IconSearch size={16} />}
              placeholder={t("search.placeholder")}
              aria-label={t("search.label")}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
            />
          </form>
          <Group gap="xs" wrap="nowrap">
            <SyncIndicator />
            <LanguageSelect width={120} />
            <Tooltip label={dark ? t("theme.light") : t("theme.dark")}>
              <ActionIcon
                variant="default"
                size="lg"
                aria-label={dark ? t("theme.light") : t("theme.dark")}
                onClick={() => setColorScheme(dark ? "light" : "dark")}
              >
                {dark ? <IconSun size={18} /> : <IconMoon size={18} />}
              </ActionIcon>
            </Tooltip>
            <Menu position="bottom-end">
              <Menu.Target>
                <ActionIcon variant="default" size="lg" aria-label={t("user.menu")} data-testid="user-menu">
                  <IconUser size={18} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>
                  {login?.session.username} · {t(`roles.${login?.session.role}`)}
                </Menu.Label>
                <Menu.Item leftSection={<IconLock size={16} />} onClick={() => void lock()}>
                  {t("user.lock")}
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={16} />} onClick={() => void logOut()}>
                  {t("user.logout")}
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label={t("nav.label")}>
        {nav
          .filter((n) => !n.needs || can(n.needs))
          .map((n) => (
            <NavLink
              key={n.route.page}
              href={hrefOf(n.route)}
              label={n.label}
              leftSection={n.icon}
              active={route.page === n.route.page || (route.page === "beneficiary" && n.route.page === "beneficiaries") || (route.page === "program" && n.route.page === "programs")}
            />
          ))}
        <Group gap={6} mt="md" px="sm" wrap="nowrap">
          <IconListSearch size={14} aria-hidden />
          <Text size="xs" c="dimmed">
            {t("nav.shortcuts_hint")}
          </Text>
        </Group>
      </AppShell.Navbar>
      <AppShell.Main>
        <Page route={route} />
      </AppShell.Main>
    </AppShell>
  );
}
