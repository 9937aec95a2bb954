"""Check-in by scan: the slip's QR code or the person's CCCD, read at the desk."""
