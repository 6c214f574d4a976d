"""Site-wide pages that belong to no feature: health check and language switch."""
