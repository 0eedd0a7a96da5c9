// Capture reading lands here.
