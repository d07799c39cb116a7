"""ledger, catalog, holds, outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 05:10:22.712950
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scan_exceptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('task_type', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=64), nullable=False),
    sa.Column('expected', sa.String(length=200), nullable=False),
    sa.Column('scanned', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_exceptions'))
    )
    op.create_index('ix_scan_exceptions_created', 'scan_exceptions', ['created_at'])
    op.create_table('balances',
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot', sa.String(length=20), nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('allocated', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('guarded', sa.Boolean(), nullable=False),
    sa.CheckConstraint('NOT guarded OR qty >= 0', name=op.f('ck_balances_guarded_not_negative')),
    sa.CheckConstraint('allocated >= 0 AND allocated <= qty OR allocated = 0', name=op.f('ck_balances_alloc')),
    sa.PrimaryKeyConstraint('owner_id', 'item_id', 'location_id', 'lot', name=op.f('pk_balances'))
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.create_index('ix_balances_item_facility', ['item_id', 'facility_id'], unique=False)
        batch_op.create_index('ix_balances_location', ['location_id'], unique=False)

    op.create_table('facilities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facilities')),
    sa.UniqueConstraint('code', name=op.f('uq_facilities_code'))
    )
    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_table('owners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners')),
    sa.UniqueConstraint('code', name=op.f('uq_owners_code'))
    )
    op.create_table('stock_levels',
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sellable', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('receiving', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('in_process', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('held', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('in_transit', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('allocated', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('allocated >= 0 AND allocated <= sellable', name=op.f('ck_stock_levels_never_oversold')),
    sa.CheckConstraint('on_hand >= 0 AND sellable >= 0 AND receiving >= 0 AND in_process >= 0 AND held >= 0 AND in_transit >= 0', name=op.f('ck_stock_levels_not_negative')),
    sa.PrimaryKeyConstraint('owner_id', 'item_id', 'facility_id', name=op.f('pk_stock_levels'))
    )
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.create_index('ix_stock_levels_facility', ['facility_id', 'owner_id'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('base_unit', sa.String(length=16), nullable=False),
    sa.Column('case_pack', sa.Integer(), nullable=False),
    sa.Column('lot_tracked', sa.Boolean(), nullable=False),
    sa.Column('expiry_tracked', sa.Boolean(), nullable=False),
    sa.Column('serial_tracked', sa.Boolean(), nullable=False),
    sa.Column('weight_g', sa.BigInteger(), nullable=False),
    sa.Column('length_mm', sa.Integer(), nullable=False),
    sa.Column('width_mm', sa.Integer(), nullable=False),
    sa.Column('height_mm', sa.Integer(), nullable=False),
    sa.Column('unit_cost_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_items_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('owner_id', 'sku', name='uq_items_owner_sku')
    )
    op.create_table('movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('device', sa.String(length=64), nullable=False),
    sa.Column('scans', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_movements_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movements'))
    )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_document', ['document_type', 'document_id'], unique=False)

    op.create_table('zones',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_zones_facility_id_facilities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('facility_id', 'code', name='uq_zones_facility_code')
    )
    op.create_table('item_gtins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gtin', sa.String(length=14), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_gtins_item_id_items')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_item_gtins_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_gtins')),
    sa.UniqueConstraint('owner_id', 'gtin', name='uq_item_gtins_owner_gtin')
    )
    op.create_table('locations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('zone_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('capacity_units', sa.Integer(), nullable=True),
    sa.Column('path_order', sa.String(length=64), server_default='', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_locations_facility_id_facilities')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_locations_zone_id_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('barcode', name=op.f('uq_locations_barcode')),
    sa.UniqueConstraint('facility_id', 'code', name='uq_locations_facility_code')
    )
    op.create_table('lots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_lots_item_id_items')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_lots_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('item_id', 'code', name='uq_lots_item_code')
    )
    op.create_table('holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('facility_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lot', sa.String(length=20), server_default='', nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('posted_qty', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('qty > 0', name=op.f('ck_holds_qty_positive')),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_holds_facility_id_facilities')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_holds_item_id_items')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_holds_location_id_locations')),
    sa.ForeignKeyConstraint(['movement_id'], ['movements.id'], name=op.f('fk_holds_movement_id_movements')),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_holds_owner_id_owners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_document', ['document_type', 'document_id'], unique=False)
        batch_op.create_index('ix_holds_item', ['owner_id', 'item_id', 'facility_id'], unique=False)
        batch_op.create_index('ix_holds_state_expires', ['state', 'expires_at'], unique=False)

    op.create_table('movement_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('movement_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lot', sa.String(length=20), nullable=False),
    sa.Column('from_location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_location_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('qty > 0', name=op.f('ck_movement_lines_qty_positive')),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_movement_lines_from_location_id_locations')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_movement_lines_item_id_items')),
    sa.ForeignKeyConstraint(['movement_id'], ['movements.id'], name=op.f('fk_movement_lines_movement_id_movements')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_movement_lines_to_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement_lines'))
    )
    with op.batch_alter_table('movement_lines', schema=None) as batch_op:
        batch_op.create_index('ix_movement_lines_from', ['from_location_id', 'id'], unique=False)
        batch_op.create_index('ix_movement_lines_item', ['item_id', 'id'], unique=False)
        batch_op.create_index('ix_movement_lines_movement', ['movement_id'], unique=False)
        batch_op.create_index('ix_movement_lines_to', ['to_location_id', 'id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('scan_exceptions')
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('movement_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_movement_lines_to')
        batch_op.drop_index('ix_movement_lines_movement')
        batch_op.drop_index('ix_movement_lines_item')
        batch_op.drop_index('ix_movement_lines_from')

    op.drop_table('movement_lines')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_state_expires')
        batch_op.drop_index('ix_holds_item')
        batch_op.drop_index('ix_holds_document')

    op.drop_table('holds')
    op.drop_table('lots')
    op.drop_table('locations')
    op.drop_table('item_gtins')
    op.drop_table('zones')
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_document')

    op.drop_table('movements')
    op.drop_table('items')
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_levels_facility')

    op.drop_table('stock_levels')
    op.drop_table('owners')
    op.drop_table('outbox')
    op.drop_table('idempotency_keys')
    op.drop_table('facilities')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index('ix_balances_location')
        batch_op.drop_index('ix_balances_item_facility')

    op.drop_table('balances')
    # ### end Alembic commands ###
