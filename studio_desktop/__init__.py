"""Studio Desktop: the desktop client for the studio's fashion-imagery work."""

__version__ = "0.1.0"
APP_NAME = "Studio Desktop"
APP_ID = "studio-desktop"
ORG_NAME = "Studio"
