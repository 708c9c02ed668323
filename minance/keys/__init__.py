"""API keys: kinds, permissions, restrictions, secrets at rest and signature verification."""

from minance.keys.model import ApiKey, KeyStatus, KeyType, Permission, Secret

__all__ = ["ApiKey", "KeyStatus", "KeyType", "Permission", "Secret"]
