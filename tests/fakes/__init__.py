"""Local stand-ins, speaking the real wire formats, for Azure services that cannot run here.

Each fake is an HTTP(S) server on 127.0.0.1 driven by the *real* SDK in the tests:
Azure OpenAI (``openai_server``), Key Vault (``keyvault_server``) and the Application
Insights ingestion endpoint (``ingestion_server``). They record what they receive so
tests can assert on the wire traffic, and have switches for faults (slow answers,
429/5xx, outages, malformed payloads).
"""
