import React from "react";
import ReactDOM from "react-dom/client";
import "@mantine/core/styles.css";
import "@mantine/charts/styles.css";
import "@mantine/notifications/styles.css";
import "./print.css";
// The app's own fonts (SIL OFL), for every script the registry writes names in: a desk computer without an
// Ethiopic or Arabic font would otherwise show boxes. Each file loads only when its script is on screen.
import "@fontsource/noto-sans/400.css";
import "@fontsource/noto-sans/600.css";
import "@fontsource/noto-sans/700.css";
import "@fontsource/noto-sans-arabic/400.css";
import "@fontsource/noto-sans-arabic/600.css";
import "@fontsource/noto-sans-arabic/700.css";
import "@fontsource/noto-sans-ethiopic/400.css";
import "@fontsource/noto-sans-ethiopic/600.css";
import "@fontsource/noto-sans-ethiopic/700.css";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App } from "./app/App";
import { initI18n } from "./i18n";

const queryClient = new QueryClient({
  defaultOptions: {
    // The backend says when data changed (change events), so nothing refetches on a timer or on focus.
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: false },
  },
});

initI18n();

ReactDOM.createRoot(document.getElementById("root")!).render(
  <React.StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </React.StrictMode>,
);
