"""The console's screens: main layout, help, confirmation modals."""
