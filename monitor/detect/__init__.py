"""Detection: rules over the store → findings. Knows nothing of notification."""
