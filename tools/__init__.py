"""Build-time tools: what makes shipped models and data, never imported at run time."""
