// The function app on the Flex Consumption plan (FC1), Python 3.11, running as a
// user-assigned managed identity. Every app setting the code reads in Azure is set here;
// tests/infra/test_bicep.py checks the list against shared.config.known_env_names().

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Flex Consumption plan name.')
param planName string

@description('Function app name (also the default host name prefix).')
param appName string

@description('Deployment environment (PSS_ENVIRONMENT), e.g. dev or prod.')
param environmentName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (AZURE_CLIENT_ID, AzureWebJobsStorage__clientId).')
param identityClientId string

@description('Blob endpoint of the host storage account.')
param storageBlobEndpoint string

@description('Queue endpoint of the host storage account.')
param storageQueueEndpoint string

@description('URL of the blob container that holds the deployment package.')
param deploymentContainerUrl string

@description('Table endpoint of the host storage account (the Flex host uses tables too).')
param storageTableEndpoint string

@description('Application Insights component; its connection string is not a secret (ingestion uses Entra auth), so it is set directly, with no Key Vault reference to wait on at start-up.')
param appInsightsName string

@description('Key Vault URI (PSS_SECRETS__KEY_VAULT_URL).')
param keyVaultUri string

@description('Cosmos DB document endpoint (PSS_STORE__COSMOS_ENDPOINT).')
param cosmosEndpoint string

@description('Cosmos DB database (PSS_STORE__COSMOS_DATABASE).')
param cosmosDatabaseName string

@description('Graph-update queue (PSS_GRAPH_QUEUE_NAME); must match the queue created in storage.bicep.')
param graphQueueName string

@description('Key Vault secret holding the HMAC key (PSS_PRIVACY__HMAC_KEY_SECRET_NAME).')
param hmacKeySecretName string

@description('Key Vault secret APIM sends as x-pss-gateway-secret (PSS_TENANCY__GATEWAY_SECRET_NAME); the app trusts x-pss-tenant only with it.')
param gatewaySecretName string

@description('Firewall strictness (PSS_SEVERITY_LEVEL). Empty: not set, so the preset (or the code default) decides.')
@allowed([
  ''
  'low'
  'medium'
  'high'
  'paranoid'
])
param severityLevel string = ''

@description('What to do with a risky prompt (PSS_RESPONSE_STRATEGY). Empty: the preset (or the code default) decides.')
@allowed([
  ''
  'block'
  'sanitize'
  'warn'
  'allow_and_log'
])
param responseStrategy string = ''

@description('Regulated-deployment preset (PSS_PRESET). Settings given explicitly win over the preset, so leave the three above empty to take the preset values.')
@allowed([
  'none'
  'healthcare'
  'finance'
])
param preset string = 'none'

@description('Days analysis records are kept (PSS_PRIVACY__RETENTION_DAYS). 0: the preset (or the code default) decides.')
@minValue(0)
@maxValue(3650)
param retentionDays int = 0

@description('Six-field NCRONTAB schedule of the reputation-decay timer (PSS_REPUTATION_DECAY_SCHEDULE; the timer reads %PSS_REPUTATION_DECAY_SCHEDULE%).')
param decaySchedule string = '0 */15 * * * *'

@description('Log level (PSS_LOG_LEVEL).')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Per-user analyses per minute inside the app, the second line behind APIM (PSS_LIMITS__RATE_LIMIT_PER_MINUTE).')
@minValue(0)
param appRateLimitPerMinute int = 120

@description('Embedding dimensions (PSS_SEMANTIC__EMBEDDING_DIMENSIONS); must equal the Cosmos vector policy.')
@minValue(8)
@maxValue(4096)
param embeddingDimensions int = 256

@description('Azure OpenAI endpoint; empty leaves every semantic feature off.')
param openAiEndpoint string = ''

@description('Azure OpenAI API version (PSS_SEMANTIC__API_VERSION).')
param openAiApiVersion string = '2024-10-21'

@description('Chat deployment used by the grey-zone judge and forwarding (PSS_SEMANTIC__CHAT_DEPLOYMENT).')
param openAiChatDeployment string = ''

@description('Embedding deployment (PSS_SEMANTIC__EMBEDDING_DEPLOYMENT).')
param openAiEmbeddingDeployment string = ''

@description('Use Azure OpenAI embeddings for similarity (PSS_SEMANTIC__USE_EMBEDDINGS).')
param semanticUseEmbeddings bool = true

@description('Ask the chat model about grey-zone prompts (PSS_SEMANTIC__JUDGE_ENABLED).')
param semanticJudgeEnabled bool = false

@description('Allow forwarding allowed prompts to the chat model (PSS_SEMANTIC__FORWARD_ENABLED).')
param semanticForwardEnabled bool = false

@description('Let the Python worker emit OpenTelemetry (PYTHON_ENABLE_OPENTELEMETRY).')
param enableOpenTelemetry bool = true

@description('Extra app settings (e.g. other PSS_* values). Unknown PSS_* names stop the app at start-up, by design.')
param additionalAppSettings object = {}

@description('Upper bound of Flex instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Memory per instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Spread the plan over availability zones (region must support it for Flex Consumption).')
param zoneRedundant bool = false

@description('Always-ready instances for the HTTP functions (0 = scale to zero; 1+ removes cold starts on analyze).')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 0

var httpAlwaysReady = [
  {
    name: 'http'
    instanceCount: alwaysReadyHttpInstances
  }
]
var alwaysReady = (alwaysReadyHttpInstances > 0) ? httpAlwaysReady : []

// Host-level settings: identity-based AzureWebJobsStorage (blob for leases and keys,
// queue for the graph-update trigger), telemetry with Entra auth, the identity the
// Azure SDK credentials use.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  PYTHON_ENABLE_OPENTELEMETRY: enableOpenTelemetry ? 'true' : 'false'
}

// The service's own settings (shared/config.py, prefix PSS_).
var serviceSettings = {
  PSS_ENVIRONMENT: environmentName
  PSS_PRESET: preset
  PSS_LOG_LEVEL: logLevel
  PSS_STORE__BACKEND: 'cosmos'
  PSS_STORE__COSMOS_ENDPOINT: cosmosEndpoint
  PSS_STORE__COSMOS_DATABASE: cosmosDatabaseName
  PSS_SECRETS__KEY_VAULT_URL: keyVaultUri
  PSS_PRIVACY__HMAC_KEY_SECRET_NAME: hmacKeySecretName
  PSS_TENANCY__GATEWAY_SECRET_NAME: gatewaySecretName
  PSS_REPUTATION_DECAY_SCHEDULE: decaySchedule
  PSS_GRAPH_QUEUE_NAME: graphQueueName
  PSS_LIMITS__RATE_LIMIT_PER_MINUTE: string(appRateLimitPerMinute)
  PSS_SEMANTIC__EMBEDDING_DIMENSIONS: string(embeddingDimensions)
}

// Policy knobs, each set only when given: an explicit value would override the preset.
var severitySetting = empty(severityLevel) ? {} : {
  PSS_SEVERITY_LEVEL: severityLevel
}
var strategySetting = empty(responseStrategy) ? {} : {
  PSS_RESPONSE_STRATEGY: responseStrategy
}
var retentionSetting = (retentionDays == 0) ? {} : {
  PSS_PRIVACY__RETENTION_DAYS: string(retentionDays)
}

// Only when an Azure OpenAI account is configured; otherwise the code keeps its
// local fallbacks (hashed n-gram vectors, no judge, no forwarding).
var semanticSettings = {
  PSS_SEMANTIC__AZURE_OPENAI_ENDPOINT: openAiEndpoint
  PSS_SEMANTIC__API_VERSION: openAiApiVersion
  PSS_SEMANTIC__CHAT_DEPLOYMENT: openAiChatDeployment
  PSS_SEMANTIC__EMBEDDING_DEPLOYMENT: openAiEmbeddingDeployment
  PSS_SEMANTIC__USE_EMBEDDINGS: semanticUseEmbeddings ? 'true' : 'false'
  PSS_SEMANTIC__JUDGE_ENABLED: semanticJudgeEnabled ? 'true' : 'false'
  PSS_SEMANTIC__FORWARD_ENABLED: semanticForwardEnabled ? 'true' : 'false'
}

var optionalSemanticSettings = empty(openAiEndpoint) ? {} : semanticSettings
var policySettings = union(severitySetting, strategySetting, retentionSetting)
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var appSettings = union(hostSettings, serviceSettings, policySettings, optionalSemanticSettings, additionalAppSettings)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  //checkov:skip=CKV_AZURE_225: Zone redundancy for Flex Consumption is only offered in some regions, so it is a parameter (functionZoneRedundant in main.bicep) to turn on where the region supports it.
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  //checkov:skip=CKV_AZURE_222: Clients reach the app through API Management over the public endpoint; every route but /api/health needs a function key. Restricting inbound traffic to APIM needs VNet integration, not deployed by this template.
  //checkov:skip=CKV_AZURE_17: The caller (API Management) authenticates with the function key from Key Vault; mutual TLS would add certificate management without adding a second factor the key does not already give.
  //checkov:skip=CKV_AZURE_212: Flex Consumption scales instances on demand and has no fixed minimum instance count; always-ready instances are a parameter (alwaysReadyHttpInstances).
  //checkov:skip=CKV_AZURE_78: Flex Consumption sites refuse siteConfig.ftpsState (a Flex deprecation); FTP stays off through the ftp basicPublishingCredentialsPolicies (allow false) below.
  //checkov:skip=CKV_AZURE_213: The platform health-check setting is not available on Flex Consumption; GET /api/health reports each dependency for external probes and APIM.
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      cors: {
        allowedOrigins: []
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReady
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Child resources are declared at top level (not nested): the offline parsers used by
// the checks keep only one nested child per parent.
// This config resource is the 'appsettings' collection (name/value pairs). checkov
// applies its checks for the 'web' site configuration to every sites/config resource,
// so they are skipped here with the reason each would not apply.
// (pycep 0.5.1 rejects more than nine consecutive comment lines inside a block.)
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  //checkov:skip=CKV_AZURE_13: Not a site configuration. Callers authenticate with function keys behind API Management (optionally Entra ID tokens at APIM), not App Service Authentication.
  //checkov:skip=CKV_AZURE_63: Not a site configuration. IIS-style HTTP logs do not exist on Flex Consumption (Linux); requests are traced to Application Insights.
  //checkov:skip=CKV_AZURE_65: Not a site configuration. Detailed error pages are an IIS feature; the app returns its own JSON errors with stable codes.
  //checkov:skip=CKV_AZURE_66: Not a site configuration. Failed-request tracing is an IIS feature; failures are traced to Application Insights.
  //checkov:skip=CKV_AZURE_80: Not a site configuration, and the app is Python 3.11, not .NET Framework.
  //checkov:skip=CKV_AZURE_88: Not a site configuration. Flex Consumption runs from the deployment blob container; no Azure Files content share exists.
  //checkov:skip=CKV_AZURE_222: Not a site configuration; public network access is set (and its skip explained) on the site resource.
  parent: site
  name: 'appsettings'
  properties: appSettings
}

// Publishing uses Entra ID (az functionapp deployment source config-zip); basic
// (user name + password) publishing credentials stay off.
// ARM needs a location on these child resources ("The parameter location has an invalid value").
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  location: location
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  location: location
  properties: {
    allow: false
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output planId string = plan.id
