# src/auth
