DROP TABLE IF EXISTS nz_affected;
DROP TABLE IF EXISTS nz_orders;
DROP TABLE IF EXISTS nz_items;
DROP TABLE IF EXISTS nz_item_shape_issues;
DROP TABLE IF EXISTS nz_removed;
DROP TABLE IF EXISTS nz_products;
DROP TABLE IF EXISTS nz_issues;
DROP TABLE IF EXISTS nz_history;
