/** The public model catalogue: offline search, full entries, and importing a model into the engine. */
export { catalogueSource, findCatalogueModel, findLiteModel, liteModels, type CatalogueModel, type CatalogueSource, type LiteModel } from './data';
export { rankModels, searchModels, type Searchable } from './search';
export { importHardware } from './hardware';
export { catalogueImage, importFromCatalogue, type ImportRequest, type ImportResult, type ImportSettings } from './import';
