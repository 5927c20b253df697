import type { ReactNode } from "react";
import { Center, Group, Image, Paper, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { LanguageSelect } from "./LanguageSelect";

/** The frame of the screens before login: product name, language choice, one card. */
export function AuthFrame({ title, subtitle, children, width = 460 }: { title: string; subtitle?: string; children: ReactNode; width?: number }) {
  const { t } = useTranslation();
  return (
    <Center mih="100vh" p="md" component="main">
      <Stack w={width} maw="100%">
        <Group justify="space-between">
          <Group gap="sm">
            <Image src="./icon.png" w={36} h={36} alt="" />
            <Text fw={700}>{t("app.name")}</Text>
          </Group>
          <LanguageSelect width={130} />
        </Group>
        <Paper withBorder shadow="sm" p="xl">
          <Stack>
            <div>
              <Title order={1} size="h3">
                {title}
              </Title>
              {subtitle && (
                <Text c="dimmed" size="sm">
                  {subtitle}
                </Text>
              )}
            </div>
            {children}
          </Stack>
        </Paper>
      </Stack>
    </Center>
  );
}
