"""Stand-ins for what a CI platform gives a job and local runners lack: GitHub's ID-token service (act has
none) and the chat webhooks a job notifies. Loopback HTTP servers; they import nothing else of the emulator."""
