// Optional: an existing Azure OpenAI account and its deployments (embeddings, chat).
// Deployed by main.bicep only when an account name is given, scoped to the account's
// resource group. Nothing here creates model deployments: capacity and model versions
// are owned by whoever owns the account. The app authenticates with its managed
// identity (Cognitive Services OpenAI User); no API key is stored.

@description('Name of the existing Azure OpenAI (kind OpenAI or AIServices) account.')
param accountName string

@description('Existing embedding deployment (PSS_SEMANTIC__EMBEDDING_DEPLOYMENT).')
param embeddingDeploymentName string

@description('Existing chat deployment (PSS_SEMANTIC__CHAT_DEPLOYMENT).')
param chatDeploymentName string

@description('Principal id of the function app identity.')
param functionPrincipalId string

var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: accountName
}

resource embeddingDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' existing = {
  parent: account
  name: embeddingDeploymentName
}

resource chatDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' existing = {
  parent: account
  name: chatDeploymentName
}

resource appOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, functionPrincipalId, cognitiveServicesOpenAiUser)
  scope: account
  properties: {
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
  }
}

output endpoint string = account.properties.endpoint
// Reading the model of each deployment makes the deployment fail early (with a clear
// "not found") when a deployment name is wrong, instead of at the first request.
output embeddingDeploymentName string = embeddingDeployment.name
output embeddingModel string = embeddingDeployment.properties.model.name
output chatDeploymentName string = chatDeployment.name
output chatModel string = chatDeployment.properties.model.name
