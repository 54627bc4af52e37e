// Log Analytics + workspace-based Application Insights (local auth off: the app sends
// telemetry with its managed identity, see APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
// and the service's workbook (infra/workbook.json).

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Display name of the workbook in the portal.')
param workbookDisplayName string = 'Prompt Security Service'

@description('Days logs and telemetry are kept.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Seed for the workbook GUID (stable per environment, so redeployments update the same workbook).')
param workbookSeed string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
    DisableIpMasking: false
    RetentionInDays: retentionInDays
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

// Dashboards over the metric and event names in shared/telemetry_names.py. The name
// of a workbook resource must be a GUID.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, 'pss-workbook', workbookSeed)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    sourceId: appInsights.id
    version: '1.0'
    serializedData: loadTextContent('../../infra/workbook.json')
  }
}

output workspaceId string = workspace.id
output appInsightsId string = appInsights.id
output appInsightsName string = appInsights.name
output workbookId string = workbook.id
output workbookName string = workbook.name
