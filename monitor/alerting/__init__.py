"""Notification policy: findings → incidents → escalating notifications, acks and resolution."""
