# The Vault / OpenBao policy for Blastwall's own token, derived from the calls
# in connectors/vault (tests/deploy/test_permissions.py checks each is covered).

# Tokens: find by accessor, read, revoke.
path "auth/token/accessors" {
  capabilities = ["list", "sudo"]
}
path "auth/token/lookup-accessor" {
  capabilities = ["update"]
}
path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}

# Leases: read and revoke a leaked dynamic secret's leases.
path "sys/leases/lookup" {
  capabilities = ["update"]
}
path "sys/leases/lookup/*" {
  capabilities = ["list", "sudo"]
}
path "sys/leases/revoke-prefix/*" {
  capabilities = ["update", "sudo"]
}

# Identity entities: read and disable (and enable again on undo).
path "identity/entity/id/*" {
  capabilities = ["read", "update"]
}

# AppRole: rotate and destroy secret-ids.
path "auth/approle/role/+/role-id" {
  capabilities = ["read"]
}
path "auth/approle/role/+/secret-id" {
  capabilities = ["update"]
}
path "auth/approle/role/+/secret-id-accessor/lookup" {
  capabilities = ["update"]
}
path "auth/approle/role/+/secret-id-accessor/destroy" {
  capabilities = ["update"]
}

# KV v2 delivery of rotated credentials (rotation's kv_path; adjust the mount).
path "secret/data/nhi/*" {
  capabilities = ["create", "read", "update"]
}
