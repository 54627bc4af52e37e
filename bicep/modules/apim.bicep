// API Management in front of the function app: one product, one API imported from
// infra/openapi.json, policies from infra/apim/*.xml, and a backend that presents the
// function key. The key lives in Key Vault and reaches APIM as a Key Vault named value
// (APIM reads it with its own managed identity; the key never appears in a template
// output or a policy). The gateway secret that lets the app trust x-pss-tenant
// (shared/tenancy.py) reaches APIM the same way, from a secret deploy.sh creates once.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('API Management service name.')
param name string

@description('Pricing tier. rate-limit-by-key (per-user limits) needs Developer, Basic, BasicV2, Standard, StandardV2 or Premium; on Consumption the policies fall back to a per-subscription rate-limit.')
@allowed([
  'Consumption'
  'Developer'
  'Basic'
  'BasicV2'
  'Standard'
  'StandardV2'
  'Premium'
])
param sku string = 'BasicV2'

@description('Publisher e-mail (required by API Management).')
param publisherEmail string

@description('Publisher name shown in the developer portal.')
param publisherName string

@description('Resource id of the user-assigned identity APIM runs as.')
param identityId string

@description('Client id of that identity (used to read Key Vault named values).')
param identityClientId string

@description('Key Vault that holds the function key.')
param keyVaultName string

@description('Function app (same resource group) whose default host key APIM presents.')
param functionAppName string

@description('Name of the Key Vault secret that holds the function key.')
param functionKeySecretName string = 'function-host-key'

@description('Name of the Key Vault secret the app compares x-pss-gateway-secret with (PSS_TENANCY__GATEWAY_SECRET_NAME); it must already exist (keyvault.bicep creates it on the first deployment).')
param gatewaySecretName string = 'apim-gateway-secret'

@description('URL path of the API on the gateway: https://<gateway>/<apiPath>/analyze.')
param apiPath string = 'pss'

@description('Calls per subscription per period, over all users of that subscription (product policy).')
@minValue(1)
param subscriptionRateLimitCalls int = 600

@description('Calls per (subscription, user) per period (API policy, rate-limit-by-key tiers only).')
@minValue(1)
param userRateLimitCalls int = 60

@description('Length of both rate-limit windows in seconds (APIM allows at most 300).')
@minValue(1)
@maxValue(300)
param rateLimitPeriodSeconds int = 60

@description('Calls per subscription per day (product quota).')
@minValue(1)
param dailyQuotaCalls int = 100000

@description('New subscriptions to the product need an administrator\'s approval.')
param productApprovalRequired bool = false

@description('Validate a Microsoft Entra ID bearer token on every call (in addition to the subscription key).')
param enableEntraValidation bool = false

@description('Tenant that issues the tokens (Entra validation only).')
param entraTenantId string = subscription().tenantId

@description('Expected audience of the tokens, e.g. api://<app id> (Entra validation only).')
param entraAudience string = ''

@description('Application (client) id allowed to call the API; the policy requires one (Entra validation only).')
param entraClientApplicationId string = ''

@description('The function app\'s default host key, read from the running app by deploy.sh after the code is published (an empty Flex app may not answer listKeys yet).')
@secure()
param functionKey string

var isConsumption = sku == 'Consumption'
var classicDedicatedTiers = [
  'Developer'
  'Basic'
  'Standard'
  'Premium'
]
var isClassicDedicated = contains(classicDedicatedTiers, sku)
var backendId = 'pss-functions'
var functionKeyNamedValue = 'pss-function-key'
var gatewaySecretNamedValue = 'pss-gateway-secret' // used as {{pss-gateway-secret}} in gateway-identity.xml

// TLS 1.0/1.1 and SSL 3.0 off on both sides of the gateway (settable on the classic
// dedicated tiers; v2 and Consumption gateways do not offer them).
var legacyProtocolsOff = {
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'false'
  'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168': 'false'
}

// Policy documents. Placeholders in api-policy.xml are filled with optional fragments.
var entraFragment = enableEntraValidation ? loadTextContent('../../infra/apim/fragments/validate-entra-token.xml') : ''
var userLimitFragment = isConsumption ? '' : loadTextContent('../../infra/apim/fragments/per-user-rate-limit.xml')
var apiPolicyTemplate = loadTextContent('../../infra/apim/api-policy.xml')
var apiPolicyWithEntra = replace(apiPolicyTemplate, '<!--PSS:ENTRA_VALIDATION-->', entraFragment)
var apiPolicyWithLimit = replace(apiPolicyWithEntra, '<!--PSS:USER_RATE_LIMIT-->', userLimitFragment)
var gatewayIdentityFragment = loadTextContent('../../infra/apim/fragments/gateway-identity.xml')
var apiPolicy = replace(apiPolicyWithLimit, '<!--PSS:GATEWAY_IDENTITY-->', gatewayIdentityFragment)
var productPolicyConsumption = loadTextContent('../../infra/apim/product-policy.consumption.xml')
var productPolicyDedicated = loadTextContent('../../infra/apim/product-policy.xml')
var productPolicy = isConsumption ? productPolicyConsumption : productPolicyDedicated

// Tunable limits as named values, so operators can change them without a redeploy.
var limitValues = [
  {
    name: 'pss-subscription-calls'
    value: string(subscriptionRateLimitCalls)
  }
  {
    name: 'pss-user-calls'
    value: string(userRateLimitCalls)
  }
  {
    name: 'pss-rate-period'
    value: string(rateLimitPeriodSeconds)
  }
  {
    name: 'pss-daily-quota'
    value: string(dailyQuotaCalls)
  }
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The function key, copied from the host into Key Vault at deployment time.
resource functionKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  //checkov:skip=CKV_AZURE_41: No expiry: the value mirrors the function host key and is rewritten on every deployment; an expired secret would make APIM fail every call. Rotate by regenerating the host key and redeploying.
  parent: vault
  name: functionKeySecretName
  properties: {
    value: functionKey
    contentType: 'text/plain; purpose=functions-host-key'
    attributes: {
      enabled: true
    }
  }
}

resource service 'Microsoft.ApiManagement/service@2024-05-01' = {
  //checkov:skip=CKV_AZURE_107: The gateway is the public entry point of the API; VNet injection is a Premium/StandardV2 network design that this template does not deploy. Callers need a subscription key (and optionally an Entra ID token).
  //checkov:skip=CKV_AZURE_174: Same reason as CKV_AZURE_107: the gateway must be reachable by the client applications.
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    capacity: isConsumption ? 0 : 1
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    publisherEmail: publisherEmail
    publisherName: publisherName
    publicNetworkAccess: 'Enabled'
    virtualNetworkType: 'None'
    customProperties: isClassicDedicated ? legacyProtocolsOff : {}
  }
}

resource functionKey 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: functionKeyNamedValue
  properties: {
    displayName: functionKeyNamedValue
    secret: true
    keyVault: {
      // Versionless URI: APIM picks up a rotated key on its periodic refresh.
      secretIdentifier: '${vault.properties.vaultUri}secrets/${functionKeySecret.name}'
      identityClientId: identityClientId
    }
  }
}

// The shared secret behind x-pss-gateway-secret: a Key Vault reference, never a literal.
resource gatewaySecret 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = {
  parent: service
  name: gatewaySecretNamedValue
  properties: {
    displayName: gatewaySecretNamedValue
    secret: true
    keyVault: {
      secretIdentifier: '${vault.properties.vaultUri}secrets/${gatewaySecretName}'
      identityClientId: identityClientId
    }
  }
}

resource limits 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = [
  for v in limitValues: {
    parent: service
    name: v.name
    properties: {
      displayName: v.name
      value: v.value
      secret: false
    }
  }
]

resource entraTenant 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = if (enableEntraValidation) {
  parent: service
  name: 'pss-entra-tenant-id'
  properties: {
    displayName: 'pss-entra-tenant-id'
    value: entraTenantId
    secret: false
  }
}

resource entraClientAppValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = if (enableEntraValidation) {
  parent: service
  name: 'pss-entra-client-app-id'
  properties: {
    displayName: 'pss-entra-client-app-id'
    value: entraClientApplicationId
    secret: false
  }
}

resource entraAudienceValue 'Microsoft.ApiManagement/service/namedValues@2024-05-01' = if (enableEntraValidation) {
  parent: service
  name: 'pss-entra-audience'
  properties: {
    displayName: 'pss-entra-audience'
    value: empty(entraAudience) ? 'api://prompt-security' : entraAudience
    secret: false
  }
}

resource backend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: service
  name: backendId
  properties: {
    description: 'Prompt Security Service function app'
    url: 'https://${functionApp.properties.defaultHostName}/api'
    protocol: 'http'
    resourceId: '${environment().resourceManager}${substring(functionApp.id, 1)}'
    credentials: {
      header: {
        'x-functions-key': [
          '{{${functionKeyNamedValue}}}'
        ]
      }
    }
    tls: {
      validateCertificateChain: true
      validateCertificateName: true
    }
  }
  dependsOn: [
    functionKey
  ]
}

resource api 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: service
  name: 'prompt-security'
  properties: {
    displayName: 'Prompt Security Service'
    description: 'Analyse prompts before they reach an LLM: allow, sanitize or block, with an explanation.'
    path: apiPath
    protocols: [
      'https'
    ]
    subscriptionRequired: true
    subscriptionKeyParameterNames: {
      header: 'Ocp-Apim-Subscription-Key'
      query: 'subscription-key'
    }
    serviceUrl: 'https://${functionApp.properties.defaultHostName}/api'
    format: 'openapi+json'
    value: loadTextContent('../../infra/openapi.gateway.json') // without manage/* (master key only)
  }
}

resource apiPolicyResource 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: api
  name: 'policy'
  properties: {
    format: 'xml'
    value: apiPolicy
  }
  dependsOn: [
    backend
    gatewaySecret
    limits
    entraTenant
    entraAudienceValue
    entraClientAppValue
  ]
}

resource product 'Microsoft.ApiManagement/service/products@2024-05-01' = {
  parent: service
  name: 'prompt-security'
  properties: {
    displayName: 'Prompt Security'
    description: 'Prompt firewall for LLM applications. Rate limited per subscription and per user.'
    subscriptionRequired: true
    approvalRequired: productApprovalRequired
    state: 'published'
    terms: 'Prompts are analysed and not stored as text unless the operator enabled it with consent.'
  }
}

resource productApi 'Microsoft.ApiManagement/service/products/apis@2024-05-01' = {
  parent: product
  name: api.name
}

resource productPolicyResource 'Microsoft.ApiManagement/service/products/policies@2024-05-01' = {
  parent: product
  name: 'policy'
  properties: {
    format: 'xml'
    value: productPolicy
  }
  dependsOn: [
    limits
  ]
}

// One subscription to start with; deploy.sh prints how to read its key.
resource defaultSubscription 'Microsoft.ApiManagement/service/subscriptions@2024-05-01' = {
  parent: service
  name: 'pss-default'
  properties: {
    displayName: 'Prompt Security default client'
    scope: '/products/${product.name}'
    state: 'active'
    allowTracing: false
  }
}

output id string = service.id
output name string = service.name
output gatewayUrl string = service.properties.gatewayUrl
output apiUrl string = '${service.properties.gatewayUrl}/${apiPath}'
output productId string = product.id
output subscriptionName string = defaultSubscription.name
