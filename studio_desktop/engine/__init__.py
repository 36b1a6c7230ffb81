"""Jobs that turn inputs into images: the local engine (Pillow/OpenCV), the remote one (HTTP)."""
