// Notifications, and a write from a form that says how it went.
import { notifications, type NotificationData } from "@mantine/notifications";
import { errorMessage } from "../api/errors";

/** Shows a notification whose close button is named (a screen reader says what it does). */
export function notify(t: (k: string) => string, data: NotificationData) {
  notifications.show({ ...data, closeButtonProps: { "aria-label": t("common.close") } });
}

/** Runs a write and says how it went; true when it succeeded. */
export async function attempt(t: (k: string) => string, action: () => Promise<unknown>, done: string): Promise<boolean> {
  try {
    await action();
    notify(t, { color: "green", message: done });
    return true;
  } catch (e) {
    notify(t, { color: "red", message: errorMessage(t as never, e) });
    return false;
  }
}
