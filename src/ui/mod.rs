//! Pure rendering of the console from `&AppState`: one module per pane.
