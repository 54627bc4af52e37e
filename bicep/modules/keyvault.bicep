// Key Vault for the service's secrets: the prompt HMAC key, the function key that
// API Management presents to the backend and the gateway secret APIM sends with x-pss-tenant. RBAC only (no access policies), soft delete with
// purge protection so a deleted secret can always be recovered.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Key Vault name (3-24 characters, letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted vault or secret stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int = 90

@description('Name of the secret holding the key for hashing prompts and user ids (PSS_PRIVACY__HMAC_KEY_SECRET_NAME).')
param hmacKeySecretName string = 'prompt-hmac-key'

@description('Value of the HMAC key. Empty keeps the existing secret: deploy.sh generates a value only on the first deployment, so hashes stay stable across redeployments.')
@secure()
param hmacKey string = ''

@description('Name of the secret APIM sends as x-pss-gateway-secret and the app checks (PSS_TENANCY__GATEWAY_SECRET_NAME).')
param gatewaySecretName string = 'apim-gateway-secret'

@description('Value of the gateway secret. Empty keeps the existing secret: deploy.sh generates a value only on the first deployment.')
@secure()
param gatewaySecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  //checkov:skip=CKV_AZURE_109: The firewall stays open (defaultAction Allow) because the Flex Consumption app and API Management reach the vault without VNet integration; access is Entra ID + RBAC only, with no access policies.
  //checkov:skip=CKV_AZURE_189: Public network access is needed for the same reason as CKV_AZURE_109; private endpoints come with VNet integration.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource hmacSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(hmacKey)) {
  //checkov:skip=CKV_AZURE_114: False positive: contentType is set below; checkov does not read the properties of a conditional (if) resource.
  //checkov:skip=CKV_AZURE_41: No expiry: the key must stay readable for as long as hashed records exist (an expired secret cannot be read, which would stop every analysis). Rotate by deploying a new value deliberately.
  parent: vault
  name: hmacKeySecretName
  properties: {
    value: hmacKey
    contentType: 'text/plain; purpose=hmac-sha256-key'
    attributes: {
      enabled: true
    }
  }
}

resource gatewaySecretResource 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(gatewaySecret)) {
  //checkov:skip=CKV_AZURE_114: False positive: contentType is set below; checkov does not read the properties of a conditional (if) resource.
  //checkov:skip=CKV_AZURE_41: No expiry: APIM and the app must agree on the value at all times; an expired secret would turn every gateway call into a 401. Rotate by writing a new version (APIM refreshes its named value, the app re-reads it).
  parent: vault
  name: gatewaySecretName
  properties: {
    value: gatewaySecret
    contentType: 'text/plain; purpose=apim-gateway-shared-secret'
    attributes: {
      enabled: true
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
output hmacKeySecretName string = hmacKeySecretName
output gatewaySecretName string = gatewaySecretName
