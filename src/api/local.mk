# src/api
