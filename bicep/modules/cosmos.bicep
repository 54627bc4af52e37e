// Cosmos DB (NoSQL API): the service's state. Local (key) auth is off: the function
// app reaches it with its managed identity through a data-plane role assignment
// (rbac.bicep). Containers and partition keys mirror shared/stores/base.py
// PARTITION_KEYS; the test suite checks that they agree.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Cosmos DB account name (lowercase, 3-44 characters).')
@minLength(3)
@maxLength(44)
param accountName string

@description('Database name (PSS_STORE__COSMOS_DATABASE).')
param databaseName string = 'promptsec'

@description('serverless: pay per request (dev, spiky traffic). autoscale: provisioned database throughput that scales between 10% and 100% of the maximum.')
@allowed([
  'serverless'
  'autoscale'
])
param capacityMode string = 'serverless'

@description('Autoscale maximum RU/s shared by the database (autoscale mode only).')
@minValue(1000)
@maxValue(1000000)
param autoscaleMaxThroughput int = 1000

@description('Dimensions of the known-attack embeddings (PSS_SEMANTIC__EMBEDDING_DIMENSIONS). Fixed at container creation.')
@minValue(8)
@maxValue(4096)
param embeddingDimensions int = 256

@description('Vector index on the known-attack embeddings. flat is exact but limited to 505 dimensions; quantizedFlat and diskANN allow up to 4096.')
@allowed([
  'flat'
  'quantizedFlat'
  'diskANN'
])
param vectorIndexType string = 'quantizedFlat'

@description('Zone redundancy for the single write region.')
param zoneRedundant bool = false

var serverlessCapabilities = [
  {
    name: 'EnableServerless'
  }
]
var vectorCapabilities = [
  {
    name: 'EnableNoSQLVectorSearch'
  }
]
var autoscaleOptions = {
  autoscaleSettings: {
    maxThroughput: autoscaleMaxThroughput
  }
}
var databaseOptions = (capacityMode == 'autoscale') ? autoscaleOptions : {}

@description('Autoscale maximum RU/s of the attacks container (autoscale mode only): vector indexes need dedicated container throughput.')
@minValue(1000)
param attacksAutoscaleMaxThroughput int = 1000

var attacksOptions = (capacityMode == 'autoscale') ? {
  autoscaleSettings: {
    maxThroughput: attacksAutoscaleMaxThroughput
  }
} : {}

// Indexing: every indexed path adds to the RU charge of each write, so each container
// indexes only the fields its queries filter or sort on (id is always indexed). The same
// policies as shared/stores/indexing.py (cosmos.py creates containers with them; the test
// suite checks that they agree). attacks, below, keeps every path but its vectors.

// graph and processed: point operations only.
var indexNothing = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: []
  excludedPaths: [
    {
      path: '/*'
    }
    {
      path: '/"_etag"/?'
    }
  ]
}

// prompts: a user's history, by partition.
var indexPrompts = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    {
      path: '/user_id/?'
    }
  ]
  excludedPaths: [
    {
      path: '/*'
    }
    {
      path: '/"_etag"/?'
    }
  ]
}

// audit: the metrics window (at, tenant) and the console's recent decisions (decision, at).
var indexAudit = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    {
      path: '/user_id/?'
    }
    {
      path: '/at/?'
    }
    {
      path: '/tenant/?'
    }
    {
      path: '/decision/?'
    }
  ]
  excludedPaths: [
    {
      path: '/*'
    }
    {
      path: '/"_etag"/?'
    }
  ]
}

// patterns: rules and campaigns by kind (the partition key); the campaign list (tenant, last_at).
var indexPatterns = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    {
      path: '/kind/?'
    }
    {
      path: '/tenant/?'
    }
    {
      path: '/last_at/?'
    }
  ]
  excludedPaths: [
    {
      path: '/*'
    }
    {
      path: '/"_etag"/?'
    }
  ]
}

// users: profiles by partition; the decay run (away) and the console's list (last_seen).
var indexUsers = {
  indexingMode: 'consistent'
  automatic: true
  includedPaths: [
    {
      path: '/user_id/?'
    }
    {
      path: '/away/?'
    }
    {
      path: '/last_seen/?'
    }
  ]
  excludedPaths: [
    {
      path: '/*'
    }
    {
      path: '/"_etag"/?'
    }
  ]
}

// Every container has TTL on without a default expiry (defaultTtl -1): a document
// expires only if it carries its own `ttl` (seconds), as the store contract says
// (shared/stores/base.py; shared/stores/cosmos.py creates containers the same way).
var containerSpecs = [
  {
    name: 'prompts'
    partitionKey: '/user_id'
    indexingPolicy: indexPrompts
  }
  {
    name: 'users'
    partitionKey: '/user_id'
    indexingPolicy: indexUsers
  }
  {
    name: 'graph'
    partitionKey: '/id'
    indexingPolicy: indexNothing
  }
  {
    name: 'patterns'
    partitionKey: '/kind'
    indexingPolicy: indexPatterns
  }
  {
    name: 'audit'
    partitionKey: '/user_id'
    indexingPolicy: indexAudit
  }
  {
    name: 'processed'
    partitionKey: '/id'
    indexingPolicy: indexNothing
  }
]

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  //checkov:skip=CKV_AZURE_99: No VNet/IP firewall: the Flex Consumption app has no static egress address without VNet integration (not deployed by this template). Every request still needs an Entra ID token (local auth disabled).
  //checkov:skip=CKV_AZURE_101: Public network access stays enabled for the same reason as CKV_AZURE_99; private endpoints come with VNet integration.
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
    enableAutomaticFailover: false
    enableMultipleWriteLocations: false
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: zoneRedundant
      }
    ]
    capabilities: (capacityMode == 'serverless') ? concat(serverlessCapabilities, vectorCapabilities) : vectorCapabilities
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous7Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: databaseOptions
  }
}

resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for c in containerSpecs: {
    parent: database
    name: c.name
    properties: {
      resource: {
        id: c.name
        partitionKey: {
          paths: [
            c.partitionKey
          ]
          kind: 'Hash'
          version: 2
        }
        defaultTtl: -1
        indexingPolicy: c.indexingPolicy
      }
    }
  }
]

// Known-attack vectors: nearest-neighbour queries with VectorDistance(). The vector
// policy and index can only be set when the container is created. Vector indexing is
// not supported on shared database throughput, so in autoscale mode this container
// has throughput of its own (attacksOptions).
resource attacksContainer 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: 'attacks'
  properties: {
    resource: {
      id: 'attacks'
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
        version: 2
      }
      defaultTtl: -1
      vectorEmbeddingPolicy: {
        vectorEmbeddings: [
          {
            path: '/embedding'
            dataType: 'float32'
            distanceFunction: 'cosine'
            dimensions: embeddingDimensions
          }
        ]
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/*'
          }
        ]
        excludedPaths: [
          {
            path: '/embedding/*'
          }
          {
            path: '/"_etag"/?'
          }
        ]
        vectorIndexes: [
          {
            path: '/embedding'
            type: vectorIndexType
          }
        ]
      }
    }
    options: attacksOptions
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
