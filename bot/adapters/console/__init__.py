"""The console: Blastwall in the browser, a third chat surface sharing every rule."""
