"""Printable labels (PDF and ZPL) whose barcodes scan back through ``parse_scan``."""

from shelfwise.labels.render import (
    Address,
    code128_image,
    gs1_128_image,
    gs1_datamatrix_image,
    location_barcode_data,
    location_label_pdf,
    location_label_zpl,
    product_element_string,
    product_label_pdf,
    product_label_zpl,
    shipping_label_pdf,
    shipping_label_zpl,
    sscc_element_string,
    sscc_label_pdf,
    sscc_label_zpl,
    tracking_barcode_data,
)

__all__ = [
    "Address",
    "code128_image",
    "gs1_128_image",
    "gs1_datamatrix_image",
    "location_barcode_data",
    "location_label_pdf",
    "location_label_zpl",
    "product_element_string",
    "product_label_pdf",
    "product_label_zpl",
    "shipping_label_pdf",
    "shipping_label_zpl",
    "sscc_element_string",
    "sscc_label_pdf",
    "sscc_label_zpl",
    "tracking_barcode_data",
]
