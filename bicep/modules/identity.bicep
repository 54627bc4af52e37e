// User-assigned managed identities: one for the function app, one for API Management.
// User-assigned (not system-assigned) so role assignments can be created before the
// app exists and survive a re-creation of the app.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Name of the function app identity.')
param functionIdentityName string

@description('Name of the API Management identity.')
param apimIdentityName string

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: functionIdentityName
  location: location
  tags: tags
}

resource apimIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: apimIdentityName
  location: location
  tags: tags
}

output functionIdentityId string = functionIdentity.id
output functionIdentityName string = functionIdentity.name
output functionPrincipalId string = functionIdentity.properties.principalId
output functionClientId string = functionIdentity.properties.clientId
output apimIdentityId string = apimIdentity.id
output apimIdentityName string = apimIdentity.name
output apimPrincipalId string = apimIdentity.properties.principalId
output apimClientId string = apimIdentity.properties.clientId
