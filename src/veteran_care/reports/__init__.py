"""Reports for the social-affairs department and hospital management."""
