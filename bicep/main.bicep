// Prompt Security Service: every Azure resource, deployed at subscription scope.
//   az deployment sub create --location <region> --template-file bicep/main.bicep \
//     --parameters @bicep/parameters/<env>.parameters.json
// (infra/deploy.sh wraps this and publishes the app.) All resources live in local
// modules so static checks (checkov, tests/infra) see them.

targetScope = 'subscription'

@description('Environment name (dev, prod, ...): part of every resource name and PSS_ENVIRONMENT.')
@minLength(2)
@maxLength(10)
param environmentName string

@description('Azure region for every resource (must offer Flex Consumption).')
param location string

@description('Short prefix for resource names (lowercase letters and digits).')
@minLength(2)
@maxLength(8)
param namePrefix string = 'pss'

@description('Tags applied to every resource.')
param tags object = {}

// ---- Cosmos DB -------------------------------------------------------------------
@description('serverless or autoscale throughput for Cosmos DB.')
@allowed([
  'serverless'
  'autoscale'
])
param cosmosCapacityMode string = 'serverless'

@description('Autoscale maximum RU/s (autoscale mode only).')
@minValue(1000)
param cosmosAutoscaleMaxThroughput int = 1000

@description('Cosmos DB database name (PSS_STORE__COSMOS_DATABASE).')
param cosmosDatabaseName string = 'promptsec'

@description('Zone-redundant Cosmos DB region.')
param cosmosZoneRedundant bool = false

@description('Vector index type of the known-attack container (flat supports at most 505 dimensions).')
@allowed([
  'flat'
  'quantizedFlat'
  'diskANN'
])
param attackVectorIndexType string = 'quantizedFlat'

@description('Embedding dimensions (PSS_SEMANTIC__EMBEDDING_DIMENSIONS); fixes the Cosmos vector policy at container creation.')
@minValue(8)
@maxValue(4096)
param embeddingDimensions int = 256

// ---- Storage / monitoring ---------------------------------------------------------
@description('Replication of the host storage account.')
param storageSku string = 'Standard_ZRS'

@description('Days logs and telemetry are kept.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

// ---- Function app -----------------------------------------------------------------
@description('Maximum Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Memory per Flex instance.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Zone-redundant Flex Consumption plan (only where the region supports it).')
param functionZoneRedundant bool = false

@description('Always-ready instances for the HTTP functions (0 = scale to zero).')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 0

@description('PSS_PRESET: none, healthcare or finance.')
@allowed([
  'none'
  'healthcare'
  'finance'
])
param preset string = 'none'

@description('PSS_SEVERITY_LEVEL; empty lets the preset decide.')
@allowed([
  ''
  'low'
  'medium'
  'high'
  'paranoid'
])
param severityLevel string = ''

@description('PSS_RESPONSE_STRATEGY; empty lets the preset decide.')
@allowed([
  ''
  'block'
  'sanitize'
  'warn'
  'allow_and_log'
])
param responseStrategy string = ''

@description('PSS_PRIVACY__RETENTION_DAYS; 0 lets the preset decide.')
@minValue(0)
@maxValue(3650)
param retentionDays int = 0

@description('PSS_REPUTATION_DECAY_SCHEDULE: six-field NCRONTAB of the reputation-decay timer.')
param decaySchedule string = '0 */15 * * * *'

@description('PSS_GRAPH_QUEUE_NAME: the graph-update queue (created in storage).')
param graphQueueName string = 'graph-updates'

@description('PSS_LOG_LEVEL.')
@allowed([
  'DEBUG'
  'INFO'
  'WARNING'
  'ERROR'
])
param logLevel string = 'INFO'

@description('Per-user analyses per minute enforced by the app itself (PSS_LIMITS__RATE_LIMIT_PER_MINUTE).')
@minValue(0)
param appRateLimitPerMinute int = 120

@description('Name of the Key Vault secret with the prompt HMAC key (PSS_PRIVACY__HMAC_KEY_SECRET_NAME).')
param hmacKeySecretName string = 'prompt-hmac-key'

@description('HMAC key value. Leave empty on redeployments (the existing secret is kept); deploy.sh generates one on the first deployment.')
@secure()
param hmacKey string = ''

@description('Name of the Key Vault secret shared by APIM (x-pss-gateway-secret) and the app (PSS_TENANCY__GATEWAY_SECRET_NAME).')
param gatewaySecretName string = 'apim-gateway-secret'

@description('Gateway secret value. Leave empty on redeployments (the existing secret is kept); deploy.sh generates one on the first deployment.')
@secure()
param gatewaySecret string = ''

@description('Extra app settings (other PSS_* values).')
param additionalAppSettings object = {}

// ---- Optional Azure OpenAI ---------------------------------------------------------
@description('Existing Azure OpenAI account; empty turns every semantic feature off.')
param openAiAccountName string = ''

@description('Resource group of that account (default: the service\'s resource group).')
param openAiResourceGroupName string = ''

@description('Existing embedding deployment on that account.')
param openAiEmbeddingDeployment string = 'text-embedding-3-small'

@description('Existing chat deployment on that account.')
param openAiChatDeployment string = 'gpt-4o-mini'

@description('PSS_SEMANTIC__API_VERSION.')
param openAiApiVersion string = '2024-10-21'

@description('PSS_SEMANTIC__USE_EMBEDDINGS (only with an account).')
param semanticUseEmbeddings bool = true

@description('PSS_SEMANTIC__JUDGE_ENABLED (only with an account).')
param semanticJudgeEnabled bool = false

@description('PSS_SEMANTIC__FORWARD_ENABLED (only with an account).')
param semanticForwardEnabled bool = false

// ---- API Management --------------------------------------------------------------
@description('API Management tier. Consumption has no rate-limit-by-key: per-user limits then come from the app only.')
@allowed([
  'Consumption'
  'Developer'
  'Basic'
  'BasicV2'
  'Standard'
  'StandardV2'
  'Premium'
])
param apimSku string = 'BasicV2'

@description('API Management publisher e-mail.')
param apimPublisherEmail string

@description('API Management publisher name.')
param apimPublisherName string = 'Prompt Security Service'

@description('Calls per subscription per window.')
param apimSubscriptionRateLimitCalls int = 600

@description('Calls per (subscription, user) per window.')
param apimUserRateLimitCalls int = 60

@description('Rate-limit window in seconds (at most 300).')
@minValue(1)
@maxValue(300)
param apimRateLimitPeriodSeconds int = 60

@description('Calls per subscription per day.')
param apimDailyQuotaCalls int = 100000

@description('Subscriptions need approval.')
param apimProductApprovalRequired bool = false

@description('Require a Microsoft Entra ID token on every call (besides the subscription key).')
param apimEnableEntraValidation bool = false

@description('Audience of those tokens, e.g. api://<client id>.')
param apimEntraAudience string = ''

@description('Client application id allowed by the Entra validation (required by validate-azure-ad-token when it is on).')
param apimEntraClientApplicationId string = ''

@description('Deploy API Management. deploy.sh first deploys without it, publishes the code, then deploys again with the function key read from the running app.')
param deployApim bool = true

@description('Default host key of the function app, for the API Management backend (deploy.sh reads it from the running app).')
@secure()
param functionKey string = ''

@description('Appended to the Key Vault name. A deleted vault keeps its name for the purge-protection period: to redeploy after a teardown, recover it (az keyvault recover) or set a new suffix.')
@maxLength(6)
param keyVaultNameSuffix string = ''

// ---- Names --------------------------------------------------------------------------
var token = toLower(uniqueString(subscription().id, environmentName, location, namePrefix))
var baseName = '${namePrefix}-${environmentName}'
var resourceGroupName = 'rg-${baseName}'
var allTags = union(tags, {
  'azd-env-name': environmentName
  application: 'prompt-security-service'
})
var names = {
  functionIdentity: 'id-${baseName}-func'
  apimIdentity: 'id-${baseName}-apim'
  storage: take('st${replace(namePrefix, '-', '')}${token}', 24)
  cosmos: 'cosmos-${baseName}-${token}'
  keyVault: concat(take('kv-${namePrefix}-${take(token, 10)}', 24 - length(keyVaultNameSuffix)), keyVaultNameSuffix)
  workspace: 'log-${baseName}-${token}'
  appInsights: 'appi-${baseName}-${token}'
  plan: 'plan-${baseName}-${token}'
  functionApp: 'func-${baseName}-${token}'
  apim: 'apim-${baseName}-${token}'
  deploymentContainer: 'app-package-${take(token, 8)}'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: resourceGroupName
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: allTags
    functionIdentityName: names.functionIdentity
    apimIdentityName: names.apimIdentity
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: allTags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    workbookSeed: environmentName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: allTags
    name: names.storage
    skuName: storageSku
    deploymentContainerName: names.deploymentContainer
    graphQueueName: graphQueueName
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: allTags
    accountName: names.cosmos
    databaseName: cosmosDatabaseName
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    embeddingDimensions: embeddingDimensions
    vectorIndexType: attackVectorIndexType
    zoneRedundant: cosmosZoneRedundant
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: allTags
    name: names.keyVault
    hmacKeySecretName: hmacKeySecretName
    hmacKey: hmacKey
    gatewaySecretName: gatewaySecretName
    gatewaySecret: gatewaySecret
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    functionPrincipalId: identity.outputs.functionPrincipalId
    apimPrincipalId: identity.outputs.apimPrincipalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    cosmosAccountName: cosmos.outputs.name
  }
}

module openAi 'modules/openai.bicep' = if (!empty(openAiAccountName)) {
  name: 'openai'
  scope: resourceGroup(empty(openAiResourceGroupName) ? resourceGroupName : openAiResourceGroupName)
  params: {
    accountName: openAiAccountName
    embeddingDeploymentName: openAiEmbeddingDeployment
    chatDeploymentName: openAiChatDeployment
    functionPrincipalId: identity.outputs.functionPrincipalId
  }
  dependsOn: [
    rg
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: allTags
    planName: names.plan
    appName: names.functionApp
    environmentName: environmentName
    identityId: identity.outputs.functionIdentityId
    identityClientId: identity.outputs.functionClientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    storageTableEndpoint: storage.outputs.tableEndpoint
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultUri: keyVault.outputs.uri
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    graphQueueName: storage.outputs.graphQueueName
    hmacKeySecretName: keyVault.outputs.hmacKeySecretName
    gatewaySecretName: keyVault.outputs.gatewaySecretName
    preset: preset
    severityLevel: severityLevel
    responseStrategy: responseStrategy
    retentionDays: retentionDays
    decaySchedule: decaySchedule
    logLevel: logLevel
    appRateLimitPerMinute: appRateLimitPerMinute
    embeddingDimensions: embeddingDimensions
    openAiEndpoint: empty(openAiAccountName) ? '' : openAi.outputs.endpoint
    openAiApiVersion: openAiApiVersion
    openAiChatDeployment: empty(openAiAccountName) ? '' : openAi.outputs.chatDeploymentName
    openAiEmbeddingDeployment: empty(openAiAccountName) ? '' : openAi.outputs.embeddingDeploymentName
    semanticUseEmbeddings: semanticUseEmbeddings
    semanticJudgeEnabled: semanticJudgeEnabled
    semanticForwardEnabled: semanticForwardEnabled
    additionalAppSettings: additionalAppSettings
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    zoneRedundant: functionZoneRedundant
  }
  dependsOn: [
    rbac
  ]
}

module apim 'modules/apim.bicep' = if (deployApim) {
  name: 'apim'
  scope: rg
  params: {
    location: location
    tags: allTags
    name: names.apim
    sku: apimSku
    publisherEmail: apimPublisherEmail
    publisherName: apimPublisherName
    identityId: identity.outputs.apimIdentityId
    identityClientId: identity.outputs.apimClientId
    keyVaultName: keyVault.outputs.name
    functionAppName: functionApp.outputs.name
    gatewaySecretName: keyVault.outputs.gatewaySecretName
    subscriptionRateLimitCalls: apimSubscriptionRateLimitCalls
    userRateLimitCalls: apimUserRateLimitCalls
    rateLimitPeriodSeconds: apimRateLimitPeriodSeconds
    dailyQuotaCalls: apimDailyQuotaCalls
    productApprovalRequired: apimProductApprovalRequired
    enableEntraValidation: apimEnableEntraValidation
    entraAudience: apimEntraAudience
    entraClientApplicationId: apimEntraClientApplicationId
    functionKey: functionKey
  }
  dependsOn: [
    rbac
  ]
}

output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output APIM_NAME string = deployApim ? apim.outputs.name : ''
output APIM_GATEWAY_URL string = deployApim ? apim.outputs.gatewayUrl : ''
output API_BASE_URL string = deployApim ? apim.outputs.apiUrl : ''
output APIM_SUBSCRIPTION_NAME string = deployApim ? apim.outputs.subscriptionName : ''
output KEY_VAULT_NAME string = keyVault.outputs.name
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output APPLICATION_INSIGHTS_NAME string = monitoring.outputs.appInsightsName
output WORKBOOK_ID string = monitoring.outputs.workbookId
