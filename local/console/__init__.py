"""The browser console for the local stack (see README.md in this folder)."""
