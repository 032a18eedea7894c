"""Server-rendered French pages for pharmacists and practitioners, on the same services as
the API: sign-in and sessions, the pharmacist's counter page, the practitioner's day."""
