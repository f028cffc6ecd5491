"""What a screen or a command shows, as plain data and text shared by the CLI and the app."""
