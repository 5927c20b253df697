//! The desktop shell: one window over the UI in `ui/`, and one command that hands each request to
//! `br_api::app::App`, off the UI thread. Events (progress of long work, changed data) go to the window
//! as `br-event`. Everything else lives in `br-core` and `br-api`.

use std::path::PathBuf;
use std::sync::Arc;

use br_api::app::{App, AppEvent, AppRequest};
use br_api::{ApiError, ErrorCode};
use tauri::{Emitter, Manager};

/// The window's event name for `AppEvent`s.
const EVENT: &str = "br-event";

/// Where the registry lives: `--registry <folder>`, else `BR_REGISTRY`, else the app's data folder.
fn registry_folder(app: &tauri::AppHandle) -> Result<PathBuf, tauri::Error> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--registry" {
            if let Some(folder) = args.next() {
                return Ok(PathBuf::from(folder));
            }
        } else if let Some(folder) = arg.strip_prefix("--registry=") {
            return Ok(PathBuf::from(folder));
        }
    }
    if let Some(folder) = std::env::var_os("BR_REGISTRY") {
        return Ok(PathBuf::from(folder));
    }
    Ok(app.path().app_data_dir()?.join("registry"))
}

#[tauri::command]
async fn app_request(state: tauri::State<'_, Arc<App>>, request: AppRequest) -> Result<serde_json::Value, ApiError> {
    let app = state.inner().clone();
    tauri::async_runtime::spawn_blocking(move || app.handle(request)).await.map_err(|e| ApiError {
        code: ErrorCode::Internal,
        message: format!("the request stopped unexpectedly: {e}"),
        details: None,
    })?
}

fn log_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .target(Target::new(TargetKind::LogDir { file_name: Some("beneficiary-registry".into()) }))
        .target(Target::new(TargetKind::Stderr))
        .max_file_size(5_000_000)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .level(log::LevelFilter::Info)
        .build()
}

pub fn run() {
    tauri::Builder::default()
        // First, so a second start only brings the running window forward: one instance per registry.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(log_plugin())
        .setup(|app| {
            let folder = registry_folder(app.handle())?;
            let use_credential_store = br_api::app::credential_store_enabled();
            let handle = app.handle().clone();
            let emit = move |event: AppEvent| {
                if let Err(e) = handle.emit(EVENT, &event) {
                    log::warn!("could not send an event to the window: {e}");
                }
            };
            // The passphrase, when needed, is asked for in the window, never read from the environment.
            let state = App::start(&folder, use_credential_store, None, Box::new(emit));
            app.manage(Arc::new(state));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![app_request])
        .run(tauri::generate_context!())
        .expect("the desktop window could not start");
}
